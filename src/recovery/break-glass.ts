import type { Context } from '../context.js';
import { AppError } from '../http/errors.js';
import { findAccountByEmail } from '../accounts/service.js';
import { listStaff } from '../accounts/store.js';
import { templates } from '../notify/templates.js';
import { applyReset, type ResetResult } from './service.js';

/**
 * `portico mfa reset`: the way back in for a locked-out last admin, run by an operator with a
 * shell on the server. Audited as actor `cli`; every active admin is emailed. Exempt from the
 * waiting period (it is the recovery path of last resort), and says so.
 *
 * The reset and the admins' emails are one transaction: a break-glass is never committed without
 * its notices in the outbox, and an email that cannot be queued rolls the reset back (the error
 * says so, in one line).
 */
export async function breakGlassReset(ctx: Context, kind: 'contact' | 'staff', email: string, reason: string): Promise<ResetResult> {
  const target = await findAccountByEmail(ctx, kind, email);
  if (!target) {
    // An operator letting a locked-out admin back in may well forget --staff: say so, in the one line.
    const other = kind === 'contact' ? await findAccountByEmail(ctx, 'staff', email) : null;
    throw new AppError('not_found', `no ${kind === 'staff' ? 'staff member' : 'contact'} has email ${email}${other ? ' (a staff member does: add --staff)' : ''}`);
  }
  const meta = { ip: null, userAgent: 'portico-cli' };
  const action = { actor: { type: 'cli' as const, id: null }, staffID: null, actorLabel: 'an operator of this help center', target, reason, verification: { method: 'none' as const }, meta };
  return ctx.db.transaction().execute(async (trx) => {
    // Applied, never scheduled: the CLI is exempt from the waiting period. Its identity check
    // is recorded as 'none', as resetMFA records it for the CLI.
    const result = await applyReset(ctx, trx, action, true, { method: 'none' }, {});
    try {
      // Read through the transaction: on SQLite another connection would wait for it forever.
      const admins = (await listStaff(trx)).filter((s) => s.role === 'admin' && s.active);
      for (const a of admins) {
        await ctx.mailer.enqueue(
          trx,
          templates.adminAlert(
            a.email,
            `Break-glass MFA reset of ${target.email}`,
            [`An operator on the server ran "portico mfa reset" for ${target.email} (${kind}). Reason given: ${reason}`, 'This path is exempt from the waiting period. If nobody on your team did this, treat the server as compromised.'],
            { at: ctx.clock.now(), ...meta, actor: 'an operator on the server (CLI)' },
          ),
        );
      }
    } catch (error) {
      const cause = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      throw new Error(`the break-glass reset was not applied (nothing changed): the admins' notification could not be queued: ${cause}`, { cause: error });
    }
    return result;
  });
}
