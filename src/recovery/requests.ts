import { DAY, HOUR } from '../clock.js';
import type { Context, RequestMeta } from '../context.js';
import { AppError } from '../http/errors.js';
import { enforceRateLimit } from '../http/rate-limit.js';
import { appendAuditEvent } from '../audit/service.js';
import { templates } from '../notify/templates.js';
import type { Account } from '../accounts/store.js';
import { consumeEmailToken, issueEmailToken } from '../accounts/email-tokens.js';
import { link } from '../accounts/service.js';
import { addSystemNote, openTicket } from '../tickets/service.js';

/**
 * "Can't use any of your methods?" (PRODUCT.md §4.9): a customer who passed the password step
 * asks for help. It opens a ticket marked MFA recovery (one open request per customer), and
 * emails the customer that a request exists, with a link to cancel it if it was not them.
 */
export async function openRecoveryRequest(ctx: Context, contact: Account, message: string, meta: RequestMeta): Promise<{ ticketId: string }> {
  await enforceRateLimit(ctx, `recovery-request:${contact.id}`, 3, DAY);
  if (meta.ip) await enforceRateLimit(ctx, `recovery-request-ip:${meta.ip}`, 10, HOUR);
  return ctx.db.transaction().execute(async (trx) => {
    const open = await trx.selectFrom('tickets').select('id').where('contact_id', '=', contact.id).where('recovery', '=', 1).where('status', '!=', 'solved').executeTakeFirst();
    if (open) throw new AppError('conflict', 'You already have an open request: our support team will contact you', { ticketId: open.id });
    const ticket = await openTicket(ctx, contact, { subject: 'MFA recovery: cannot use my sign-in methods', message }, { recovery: true, db: trx });
    await addSystemNote(
      ctx,
      trx,
      ticket.id,
      `Opened from the sign-in page after a correct password${meta.ip ? ` from ${meta.ip}` : ''}. Before any action, check the caller's identity (identity checklist on this page).`,
    );
    const token = await issueEmailToken(ctx, trx, 'recovery_cancel', 'contact', contact.id, 7 * DAY, ticket.id);
    await appendAuditEvent(ctx, trx, { actor: { type: 'contact', id: contact.id }, action: 'mfa.recovery_request.opened', contactID: contact.id, meta, details: { ticketId: ticket.id } });
    await ctx.mailer.enqueue(
      trx,
      templates.securityNotice(
        contact.email,
        'A request to recover your account was opened',
        ['Someone who knows your password asked our support team for help because they cannot use your two-step verification methods. Our team will check their identity before changing anything.'],
        { at: ctx.clock.now(), ...meta, actor: 'someone signing in to your account' },
        { label: 'It was not me: cancel the request', url: link(ctx, `/recovery-requests/cancel?token=${token}`) },
      ),
    );
    return { ticketId: ticket.id };
  });
}

/** The emailed cancel link: closes the request and flags it on the ticket. */
export async function cancelRecoveryRequest(ctx: Context, token: string, meta: RequestMeta): Promise<{ ticketId: string }> {
  return ctx.db.transaction().execute(async (trx) => {
    const t = await consumeEmailToken(ctx, trx, 'recovery_cancel', token);
    if (!t || !t.data) throw new AppError('invalid_token');
    await trx.updateTable('tickets').set({ status: 'solved', updated_at: ctx.clock.now().toISOString() }).where('id', '=', t.data).execute();
    await addSystemNote(ctx, trx, t.data, 'The account owner CANCELLED this request from the emailed link ("it was not me"). Do not act on it; someone may know their password.');
    // Anything support scheduled in the meantime is cancelled with it.
    const pending = await trx.selectFrom('pending_actions').select('id').where('owner_kind', '=', 'contact').where('owner_id', '=', t.subjectID).where('status', '=', 'pending').execute();
    if (pending.length) {
      await trx.updateTable('pending_actions').set({ status: 'cancelled', cancelled_by: 'contact', finished_at: ctx.clock.now().toISOString() }).where('id', 'in', pending.map((p) => p.id)).execute();
      await trx.updateTable('temporary_codes').set({ voided_at: ctx.clock.now().toISOString() }).where('owner_kind', '=', 'contact').where('owner_id', '=', t.subjectID).where('used_at', 'is', null).where('voided_at', 'is', null).execute();
    }
    await appendAuditEvent(ctx, trx, {
      actor: { type: 'contact', id: t.subjectID },
      action: 'mfa.recovery_request.cancelled',
      contactID: t.subjectID,
      meta,
      details: { ticketId: t.data, pendingActionsCancelled: pending.length },
    });
    return { ticketId: t.data };
  });
}
