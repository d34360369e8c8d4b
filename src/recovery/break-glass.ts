import type { Context } from '../context.js';
import { AppError } from '../http/errors.js';
import { findAccountByEmail } from '../accounts/service.js';
import { listStaff } from '../accounts/staff.js';
import { templates } from '../notify/templates.js';
import { resetMFA, type ResetResult } from './service.js';

/**
 * `portico mfa reset`: the way back in for a locked-out last admin, run by an operator with a
 * shell on the server. Audited as actor `cli`; every admin is emailed. Exempt from the waiting
 * period (it is the recovery path of last resort), and says so.
 */
export async function breakGlassReset(ctx: Context, kind: 'contact' | 'staff', email: string, reason: string): Promise<ResetResult> {
  const target = await findAccountByEmail(ctx, kind, email);
  if (!target) {
    // An operator letting a locked-out admin back in may well forget --staff: say so, in the one line.
    const other = kind === 'contact' ? await findAccountByEmail(ctx, 'staff', email) : null;
    throw new AppError('not_found', `no ${kind === 'staff' ? 'staff member' : 'contact'} has email ${email}${other ? ' (a staff member does: add --staff)' : ''}`);
  }
  const meta = { ip: null, userAgent: 'portico-cli' };
  const result = await resetMFA(ctx, { actor: { type: 'cli', id: null }, actorLabel: 'an operator of this help center', target, reason, verification: { method: 'none' }, meta }, true);
  // The break-glass is exempt from the waiting period, so it never comes back scheduled.
  if ('pendingActionId' in result) throw new Error('the break-glass reset was scheduled, which must never happen');
  const admins = (await listStaff(ctx)).filter((s) => s.role === 'admin' && s.active);
  await ctx.db.transaction().execute(async (trx) => {
    for (const a of admins) {
      await ctx.mailer.enqueue(
        trx,
        templates.securityNotice(
          a.email,
          `Break-glass MFA reset of ${target.email}`,
          [`An operator on the server ran "portico mfa reset" for ${target.email} (${kind}). Reason given: ${reason}`, 'This path is exempt from the waiting period. If nobody on your team did this, treat the server as compromised.'],
          { at: ctx.clock.now(), ...meta, actor: 'an operator on the server (CLI)' },
        ),
      );
    }
  });
  return result;
}
