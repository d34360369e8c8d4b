import { DAY, HOUR } from '../clock.js';
import type { Context, RequestMeta } from '../context.js';
import type { Executor } from '../db/index.js';
import { AppError } from '../http/errors.js';
import { clientKey, enforceRateLimit } from '../http/rate-limit.js';
import { appendAuditEvent } from '../audit/service.js';
import { templates } from '../notify/templates.js';
import { findAccountByID, type Account } from '../accounts/store.js';
import { consumeEmailToken, issueEmailToken, peekEmailToken } from '../accounts/email-tokens.js';
import { link } from '../accounts/service.js';
import { addSystemNote, openTicket } from '../tickets/service.js';
import { lockMFAOwner } from '../mfa/store.js';
import { voidTemporaryCodes } from '../mfa/temporary-codes.js';

/**
 * "Can't use any of your methods?" (PRODUCT.md §4.9): a customer who passed the password step
 * asks for help. It opens a ticket marked MFA recovery (one open request per customer), and
 * emails the customer that a request exists, with a link to cancel it if it was not them.
 */
export async function openRecoveryRequest(ctx: Context, contact: Account, message: string, meta: RequestMeta): Promise<{ ticketId: string }> {
  await enforceRateLimit(ctx, `recovery-request:${contact.id}`, 3, DAY);
  if (meta.ip) await enforceRateLimit(ctx, `recovery-request-ip:${clientKey(meta.ip)}`, 10, HOUR);
  return ctx.db.transaction().execute(async (trx) => {
    // "One open request" is a read then an insert: on PostgreSQL (READ COMMITTED) requests at the
    // same instant would all read "none open" and all insert. The contact's row, locked first,
    // queues them; each then sees the ticket the one before it committed. SQLite runs one
    // transaction at a time already.
    if (ctx.dialect === 'postgres') await trx.selectFrom('contacts').select('id').where('id', '=', contact.id).forUpdate().execute();
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

/**
 * The emailed cancel link ("it was not me"): closes the request and flags it on the ticket, and
 * takes back what support handed out for it. Someone who knows the password asked, so:
 * - every scheduled change of the waiting period for this customer is cancelled;
 * - every outstanding temporary access code is voided, scheduled or not (with no waiting period
 *   a code issued on the ticket would otherwise still sign the caller in);
 * - every enrollment-only session of this customer ends: one a temporary code already opened
 *   could otherwise still add a factor and take the account.
 * Sign-ins still waiting for their second step stay: whoever asked knows the password and can
 * start another one at once, so ending them protects nothing, and with the codes gone they
 * hold nothing (an owner who cancelled by mistake may open a new request from the same page).
 * Full sessions passed a second step, are the owner's (likely the one clicking), and stay.
 * Under the customer's MFA lock, taken first, so a code being issued at this instant is either
 * voided here or issued after (and the ticket, then solved, says not to act).
 */
export async function cancelRecoveryRequest(ctx: Context, token: string, meta: RequestMeta): Promise<{ ticketId: string }> {
  return ctx.db.transaction().execute(async (trx) => {
    const peeked = await peekEmailToken(ctx, trx, 'recovery_cancel', token);
    if (!peeked || !peeked.data) throw new AppError('invalid_token');
    const owner = { kind: 'contact' as const, id: peeked.subjectID };
    await lockMFAOwner(trx, ctx.dialect, owner);
    const t = await consumeEmailToken(ctx, trx, 'recovery_cancel', token);
    if (!t || !t.data || t.subjectID !== owner.id) throw new AppError('invalid_token');
    const nowISO = ctx.clock.now().toISOString();
    await trx.updateTable('tickets').set({ status: 'solved', updated_at: nowISO }).where('id', '=', t.data).execute();
    const pending = await trx.selectFrom('pending_actions').select(['id', 'actor_id']).where('owner_kind', '=', 'contact').where('owner_id', '=', owner.id).where('status', '=', 'pending').execute();
    const pendingActionIds = pending.map((p) => p.id);
    // Who acted on this account for the caller: told below, as the ticket may sit unread.
    const outstanding = await trx.selectFrom('temporary_codes').select('issued_by').where('owner_kind', '=', 'contact').where('owner_id', '=', owner.id).where('used_at', 'is', null).where('voided_at', 'is', null).execute();
    const actorIDs = [...new Set([...pending.map((p) => p.actor_id), ...outstanding.map((c) => c.issued_by)].filter((id): id is string => !!id))];
    if (pendingActionIds.length) {
      await trx.updateTable('pending_actions').set({ status: 'cancelled', cancelled_by: 'contact', finished_at: nowISO }).where('id', 'in', pendingActionIds).where('status', '=', 'pending').execute();
    }
    const temporaryCodesVoided = await voidTemporaryCodes(ctx, trx, owner);
    const ended = await trx.deleteFrom('sessions').where('kind', '=', 'contact').where('subject_id', '=', owner.id).where('level', '=', 'enrollment').executeTakeFirst();
    const enrollmentSessionsEnded = Number(ended.numDeletedRows);
    const undone = [
      pendingActionIds.length ? `${pendingActionIds.length} scheduled change${pendingActionIds.length === 1 ? '' : 's'} cancelled` : null,
      temporaryCodesVoided ? `${temporaryCodesVoided} temporary access code${temporaryCodesVoided === 1 ? '' : 's'} voided` : null,
      enrollmentSessionsEnded ? `${enrollmentSessionsEnded} enrollment-only session${enrollmentSessionsEnded === 1 ? '' : 's'} ended` : null,
    ].filter((x): x is string => x !== null);
    await addSystemNote(
      ctx,
      trx,
      t.data,
      `The account owner CANCELLED this request from the emailed link ("it was not me"). Do not act on it; someone may know their password.${undone.length ? ` Taken back: ${undone.join(', ')}.` : ''}`,
    );
    if (undone.length) await tellStaffWhoActed(ctx, trx, actorIDs, owner.id, undone, meta);
    await appendAuditEvent(ctx, trx, {
      actor: { type: 'contact', id: owner.id },
      action: 'mfa.recovery_request.cancelled',
      contactID: owner.id,
      meta,
      details: { ticketId: t.data, pendingActionsCancelled: pendingActionIds.length, pendingActionIds, temporaryCodesVoided, enrollmentSessionsEnded },
    });
    return { ticketId: t.data };
  });
}

/**
 * Emails each staff member who issued a temporary code or scheduled a change that the owner's
 * "it was not me" took back (a token's action goes to the token's owner): they may be talking
 * to an impostor right now, and the ticket's note may sit unread.
 */
async function tellStaffWhoActed(ctx: Context, trx: Executor, actorIDs: string[], contactID: string, undone: string[], meta: RequestMeta): Promise<void> {
  if (!actorIDs.length) return;
  const contact = await findAccountByID(trx, 'contact', contactID);
  const tokenOwners = await trx.selectFrom('api_tokens').select('staff_id').where('id', 'in', actorIDs).execute();
  const staffIDs = [...new Set([...actorIDs.filter((id) => id.startsWith('st_')), ...tokenOwners.map((t) => t.staff_id)])];
  for (const id of staffIDs) {
    const staff = await findAccountByID(trx, 'staff', id);
    if (!staff?.active) continue;
    await ctx.mailer.enqueue(
      trx,
      templates.customerCancelledStaffNotice(
        staff.email,
        'A customer said an MFA recovery request was not theirs',
        [
          `The owner of ${contact?.email ?? 'an account'} cancelled their MFA recovery request from the emailed link ("it was not me"). Taken back: ${undone.join(', ')}.`,
          'Someone who knows their password may have asked for it. Do not issue a new code or reset on that request; if you are talking to the caller now, end the call and note it on the ticket.',
        ],
        { at: ctx.clock.now(), ip: meta.ip, userAgent: meta.userAgent, actor: 'the account owner' },
      ),
    );
  }
}
