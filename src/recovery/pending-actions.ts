import { idCursor } from '../http/schemas.js';
import type { Selectable } from 'kysely';
import type { Context, RequestMeta } from '../context.js';
import type { Executor } from '../db/index.js';
import type { PendingActionsTable } from '../db/types.js';
import { generateID, generateToken } from '../crypto/random.js';
import { hashToken } from '../crypto/hash.js';
import { AppError } from '../http/errors.js';
import { appendAuditEvent, type Actor } from '../audit/service.js';
import { templates } from '../notify/templates.js';
import { findAccountByID, type Account } from '../accounts/store.js';
import { link } from '../accounts/service.js';
import * as mfaStore from '../mfa/store.js';
import { ownerOf } from '../mfa/lockout.js';
import { findMFAAccount } from '../mfa/state-store.js';
import type { Owner } from '../mfa/store.js';
import { findHeldCode, takeBackHeldCode, voidTemporaryCodes } from '../mfa/temporary-codes.js';
import { addSystemNote } from '../tickets/service.js';
import { applyReset, type StaffAction } from './service.js';

/**
 * The waiting period (PRODUCT.md §4.10): with it above 0, a reset, a temporary code or the
 * removal of a last factor for a contact who has factors is scheduled instead of applied. The
 * customer is emailed when it will happen, with a link to a page whose button cancels it, so a
 * caller who talks the help desk into a reset cannot take the account before its owner notices.
 * Bulk resets (incidents) and the CLI break-glass are exempt.
 */
export interface Scheduled {
  pendingActionId: string;
  effectiveAt: string;
}

export interface PendingAction {
  id: string;
  kind: PendingActionsTable['kind'];
  contactId: string | null;
  staffId: string | null;
  params: Record<string, unknown>;
  reason: string;
  verification: Record<string, unknown> | null;
  actor: { type: string; id: string | null };
  status: PendingActionsTable['status'];
  createdAt: string;
  effectiveAt: string;
  finishedAt: string | null;
  cancelledBy: string | null;
}

function present(r: Selectable<PendingActionsTable>): PendingAction {
  return {
    id: r.id,
    kind: r.kind,
    contactId: r.owner_kind === 'contact' ? r.owner_id : null,
    staffId: r.owner_kind === 'staff' ? r.owner_id : null,
    params: JSON.parse(r.params),
    reason: r.reason,
    verification: r.verification ? JSON.parse(r.verification) : null,
    actor: { type: r.actor_type, id: r.actor_id },
    status: r.status,
    createdAt: r.created_at,
    effectiveAt: r.effective_at,
    finishedAt: r.finished_at,
    cancelledBy: r.cancelled_by,
  };
}

export const KIND_TEXT: Record<PendingActionsTable['kind'], string> = {
  reset: 'reset the two-step verification of your account (remove every sign-in method and your recovery codes)',
  temporary_code: 'activate a temporary access code that lets someone sign in to your account once and set up a new sign-in method',
  remove_factor: 'remove a sign-in method from your account',
};

export const whenText = (iso: string) => `${iso.replace('T', ' ').slice(0, 16)} UTC`;

/**
 * Whether the waiting period applies to an action, under `waitingPeriodHours` as the action read
 * it: the one reading (getSettingsHeld, under the person's lock) that the action also schedules
 * with (scheduleAction) and, for a temporary code, holds the code back by. Read apart, an admin
 * changing the period in between gave a code usable after 1 hour while the action, and the
 * email telling the customer how long they have to cancel it, said 24.
 */
export async function waitingPeriodApplies(trx: Executor, a: StaffAction, waitingPeriodHours: number): Promise<boolean> {
  if (a.actor.type === 'cli' || a.target.kind !== 'contact') return false;
  if (waitingPeriodHours <= 0) return false;
  return hasMFAToProtect(trx, ownerOf(a.target));
}

/**
 * Whether a person "has factors" for the waiting period and a required identity check
 * (PRODUCT.md §4.6, §4.10): active factors, or a reset with setup required that they have not
 * finished. Such an account is still protected: only the emailed setup link or a temporary
 * code sets it up again (§4.1). Counted as having none, right after a reset (a bulk reset of an
 * incident included) a caller holding only the password could be given a temporary code at
 * once and without a check, or a second reset without setup, and enroll their own factor
 * before the owner had read the reset email.
 */
export async function hasMFAToProtect(trx: Executor, owner: Owner): Promise<boolean> {
  if ((await mfaStore.countActiveFactors(trx, owner)) > 0) return true;
  return (await findMFAAccount(trx, owner))?.setup_required === 1;
}

/** When a waiting period of `hours` that starts at `now` ends (ISO). */
export function waitingPeriodEnd(now: Date, hours: number): string {
  return new Date(now.getTime() + hours * 3600_000).toISOString();
}

export async function openRecoveryTicket(trx: Executor, contactID: string): Promise<string | null> {
  const t = await trx.selectFrom('tickets').select('id').where('contact_id', '=', contactID).where('recovery', '=', 1).where('status', '!=', 'solved').orderBy('seq', 'desc').executeTakeFirst();
  return t?.id ?? null;
}

/**
 * Schedules an action for the end of the waiting period: `waitingPeriodHours` from `now`, both
 * as the caller read them once for the whole action (waitingPeriodApplies). A temporary code
 * held back by the same two is usable exactly when the action falls due and the email says.
 */
export async function scheduleAction(
  ctx: Context,
  trx: Executor,
  a: StaffAction,
  kind: PendingActionsTable['kind'],
  params: Record<string, unknown>,
  verification: Record<string, unknown> | null,
  waitingPeriodHours: number,
  now: Date = ctx.clock.now(),
): Promise<Scheduled> {
  const effectiveAt = waitingPeriodEnd(now, waitingPeriodHours);
  const id = generateID('pa', now);
  const token = generateToken();
  await trx
    .insertInto('pending_actions')
    .values({
      id,
      kind,
      owner_kind: a.target.kind,
      owner_id: a.target.id,
      params: JSON.stringify(params),
      reason: a.reason,
      verification: verification ? JSON.stringify(verification) : null,
      actor_type: a.actor.type,
      actor_id: a.actor.id,
      status: 'pending',
      created_at: now.toISOString(),
      effective_at: effectiveAt,
      finished_at: null,
      cancelled_by: null,
      cancel_token_hash: hashToken(token),
    })
    .execute();
  await appendAuditEvent(ctx, trx, {
    actor: a.actor,
    action: 'mfa.pending_action.scheduled',
    contactID: a.target.id,
    reason: a.reason,
    verification,
    meta: a.meta,
    details: { pendingActionId: id, kind, effectiveAt, waitingPeriodHours },
  });
  const when = whenText(effectiveAt);
  await ctx.mailer.enqueue(
    trx,
    templates.securityNotice(
      a.target.email,
      'Our support team will change your two-step verification',
      [
        `At someone's request, our support team will ${KIND_TEXT[kind]} on ${when}.`,
        'If you asked for this, there is nothing to do. If you did not, cancel it now with the button below: someone may be trying to take over your account.',
      ],
      { at: now, ip: a.meta.ip, userAgent: a.meta.userAgent, actor: a.actorLabel },
      { label: 'Cancel this change', url: link(ctx, `/pending-actions/cancel?token=${token}`) },
    ),
  );
  const ticket = await openRecoveryTicket(trx, a.target.id);
  if (ticket) await addSystemNote(ctx, trx, ticket, `Scheduled by support: ${kind.replace('_', ' ')} on ${when} (waiting period of ${waitingPeriodHours} h). The customer was emailed a link to cancel it.`);
  return { pendingActionId: id, effectiveAt };
}

export interface PendingActionPage {
  items: PendingAction[];
  nextCursor: string | null;
}

/** A pending action's id, the list's cursor: `pa_`, 12 hex digits of milliseconds, 16 base32. */
/**
 * Pending actions, newest first, by keyset: the cursor is the id of the last item of the page
 * before. Ids are time-sortable (generated from the same instant as `created_at`) and unique,
 * so ordering by id is creation order and a page never repeats or skips a row that existed when
 * the first page was read. A cursor that is not such an id is 400 `invalid_input`.
 */
export async function listPendingActions(
  ctx: Context,
  filter: { ownerKind?: 'contact' | 'staff'; ownerID?: string; status?: PendingActionsTable['status'] } = {},
  page: { limit: number; cursor?: string } = { limit: 200 },
): Promise<PendingActionPage> {
  const before = idCursor('pa', page.cursor);
  let q = ctx.db.selectFrom('pending_actions').selectAll();
  if (filter.ownerKind) q = q.where('owner_kind', '=', filter.ownerKind);
  if (filter.ownerID) q = q.where('owner_id', '=', filter.ownerID);
  if (filter.status) q = q.where('status', '=', filter.status);
  if (before !== undefined) q = q.where('id', '<', before);
  const rows = await q.orderBy('id', 'desc').limit(page.limit + 1).execute();
  const items = rows.slice(0, page.limit).map(present);
  return { items, nextCursor: rows.length > page.limit ? items[items.length - 1].id : null };
}

/** Whose account a pending action would change; null for an unknown id (or a vanished account). */
export async function pendingActionOwner(ctx: Context, id: string): Promise<Account | null> {
  const row = await ctx.db.selectFrom('pending_actions').select(['owner_kind', 'owner_id']).where('id', '=', id).executeTakeFirst();
  return row ? findAccountByID(ctx.db, row.owner_kind, row.owner_id) : null;
}

/** Tells the person a scheduled change to their account is off (they were told it was coming). */
export async function tellOwnerItIsOff(ctx: Context, trx: Executor, row: Selectable<PendingActionsTable>, line: string, meta: RequestMeta): Promise<void> {
  const owner = await findAccountByID(trx, row.owner_kind, row.owner_id);
  if (!owner) return;
  await ctx.mailer.enqueue(
    trx,
    templates.securityNotice(owner.email, 'A scheduled change to your two-step verification was cancelled', [line], { at: ctx.clock.now(), ip: meta.ip, userAgent: meta.userAgent, actor: 'our support team' }),
  );
}

/**
 * What the emailed cancel link would cancel, for the page it opens: the kind, when support
 * scheduled it and when it takes effect, and whether it is still pending. Read-only, by the
 * token alone (whoever holds it was sent it); an unknown token is 400 `invalid_token`.
 */
export async function lookUpByCancelToken(
  ctx: Context,
  token: string,
): Promise<{ kind: PendingActionsTable['kind']; status: PendingActionsTable['status']; scheduledAt: string; effectiveAt: string; change: string }> {
  const row = await ctx.db
    .selectFrom('pending_actions')
    .select(['kind', 'status', 'created_at', 'effective_at'])
    .where('cancel_token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row) throw new AppError('invalid_token', 'This link is not valid: open the link from the email again');
  return { kind: row.kind, status: row.status, scheduledAt: row.created_at, effectiveAt: row.effective_at, change: `Our support team will ${KIND_TEXT[row.kind]}.` };
}

/** Cancels by staff (with a reason) or by the customer (the emailed token). One conditional write decides. */
export async function cancelPendingAction(
  ctx: Context,
  by: { staff: Actor; reason: string; id: string; meta: RequestMeta } | { token: string; meta: RequestMeta },
): Promise<PendingAction> {
  return ctx.db.transaction().execute(async (trx) => {
    const nowISO = ctx.clock.now().toISOString();
    // The person's MFA lock before the action's row, as the runner and the owner's "it was not
    // me" take them (lockOwnerOfAction). An id or a token that names no action finds no one to
    // lock, and the conditional write below answers for it.
    await lockOwnerOfAction(ctx, trx, 'staff' in by ? { id: by.id } : { tokenHash: hashToken(by.token) });
    let q = trx.updateTable('pending_actions').set({ status: 'cancelled', finished_at: nowISO, cancelled_by: 'staff' in by ? 'staff' : 'contact' }).where('status', '=', 'pending');
    q = 'staff' in by ? q.where('id', '=', by.id) : q.where('cancel_token_hash', '=', hashToken(by.token));
    const row = await q.returningAll().executeTakeFirst();
    if (!row) {
      if ('staff' in by) {
        const exists = await trx.selectFrom('pending_actions').select('status').where('id', '=', by.id).executeTakeFirst();
        if (!exists) throw new AppError('not_found', 'No pending action has this id');
        throw new AppError('conflict', `This action is already ${exists.status}`);
      }
      throw new AppError('invalid_token', 'This link is not valid, or the change already happened or was cancelled');
    }
    const signInEnded = row.kind === 'temporary_code' && (await takeBackScheduledCode(ctx, trx, row)) === 'sign-in ended';
    await appendAuditEvent(ctx, trx, {
      actor: 'staff' in by ? by.staff : { type: 'contact', id: row.owner_id },
      action: 'mfa.pending_action.cancelled',
      contactID: row.owner_kind === 'contact' ? row.owner_id : null,
      reason: 'staff' in by ? by.reason : 'cancelled by the account owner from the emailed link',
      meta: by.meta,
      details: { pendingActionId: row.id, kind: row.kind, ...(signInEnded ? { signInEnded } : {}) },
    });
    const ticket = row.owner_kind === 'contact' ? await openRecoveryTicket(trx, row.owner_id) : null;
    if (ticket) {
      const ended = signInEnded ? ` ${SIGN_IN_ENDED}` : '';
      await addSystemNote(ctx, trx, ticket, 'staff' in by ? `The scheduled ${row.kind.replace('_', ' ')} was cancelled by support: ${by.reason}.${ended}` : `The customer CANCELLED the scheduled ${row.kind.replace('_', ' ')} from the emailed link: treat this request as suspicious.${ended}`);
    }
    if ('staff' in by) {
      // Every staff action emails the person it concerns (PRODUCT.md §4); they were told of the change when it was scheduled.
      await tellOwnerItIsOff(ctx, trx, row, `Our support team cancelled the change scheduled for ${whenText(row.effective_at)}: it will not ${KIND_TEXT[row.kind]}. Nothing changes on your account.`, by.meta);
    }
    if (!('staff' in by) && row.actor_type === 'staff' && row.actor_id) {
      const staff = await findAccountByID(trx, 'staff', row.actor_id);
      if (staff) {
        await ctx.mailer.enqueue(
          trx,
          templates.customerCancelledStaffNotice(staff.email, 'A customer cancelled a scheduled MFA change', [`The owner of the account cancelled the ${row.kind.replace('_', ' ')} you scheduled (reason you gave: ${row.reason}). Someone may have impersonated them.`, ...(signInEnded ? [SIGN_IN_ENDED] : [])], {
            at: ctx.clock.now(),
            ...by.meta,
            actor: 'the account owner',
          }),
        );
      }
    }
    return present(row);
  });
}

const SIGN_IN_ENDED = 'The temporary access code had already been used to sign in; that sign-in was ended before it could set up a sign-in method.';

/**
 * Takes back the code a cancelled temporary-code action issued (see takeBackHeldCode): voids it,
 * or ends the sign-in it already opened. If that sign-in enrolled already the change is made and
 * cannot be cancelled: 409, and the caller's transaction rolls back (with `tooLate: 'keep'` the
 * caller is told instead, and keeps the action for the runner to close as done).
 */
export async function takeBackScheduledCode(ctx: Context, trx: Executor, row: Selectable<PendingActionsTable>, o: { tooLate?: 'keep' } = {}): Promise<'voided' | 'sign-in ended' | 'spent' | 'happened' | 'none'> {
  const owner = { kind: row.owner_kind, id: row.owner_id };
  const back = await takeBackHeldCode(ctx, trx, owner, String(JSON.parse(row.params).expiresAt));
  if (back === 'happened' && o.tooLate !== 'keep') {
    throw new AppError('conflict', 'Too late to cancel: the temporary access code was already used to sign in and set up a sign-in method. If that was not you, contact support at once.');
  }
  if (back !== 'happened') await voidTemporaryCodes(ctx, trx, owner);
  return back;
}

/**
 * Where the code a scheduled temporary-code action issued stands when the action falls due (it
 * was issued with the action and held back until then; issuing another code voids it).
 */
async function scheduledCodeState(ctx: Context, trx: Executor, row: Selectable<PendingActionsTable>, expiresAt: string): Promise<'live' | 'used' | 'voided' | 'expired'> {
  const code = await findHeldCode(trx, { kind: row.owner_kind, id: row.owner_id }, expiresAt);
  if (!code || code.voided_at) return 'voided';
  if (code.used_at) return 'used';
  return code.expires_at <= ctx.clock.now().toISOString() ? 'expired' : 'live';
}

/**
 * Takes the MFA lock (mfaStore.lockMFAOwner, the lock every toolkit action takes first: see
 * lockTarget in service.ts) of the person a pending action would change, before the action's
 * row is written. The owner of an action never changes, so a plain read finds whose lock to
 * take. Returns false when no action has this id or token.
 *
 * Every transaction that both decides a pending action and changes its person's MFA state takes
 * the person's MFA lock first and the action's row after it: the runner applying it, a staff
 * cancel or the emailed cancel (cancelPendingAction), the owner's "it was not me" on the
 * recovery request (cancelRecoveryRequest), and the toolkit actions that schedule one. Taking
 * the row first, the runner held it and then waited in applyReset for the MFA lock that the
 * owner's "it was not me" held while it waited for the row: a deadlock on PostgreSQL, in which
 * the runner lost. The cancellations when an authority ends (ended-authority.ts) write many
 * people's actions after staff rows and take no MFA lock at all, before or after them, so they
 * queue on the rows with the others and cannot close a cycle through the MFA lock.
 */
async function lockOwnerOfAction(ctx: Context, trx: Executor, which: { id: string } | { tokenHash: string }): Promise<boolean> {
  let q = trx.selectFrom('pending_actions').select(['owner_kind', 'owner_id']);
  q = 'id' in which ? q.where('id', '=', which.id) : q.where('cancel_token_hash', '=', which.tokenHash);
  const whose = await q.executeTakeFirst();
  if (!whose) return false;
  await mfaStore.lockMFAOwner(trx, ctx.dialect, { kind: whose.owner_kind, id: whose.owner_id });
  return true;
}

/**
 * Applies every pending action that has fallen due; each in its own transaction, decided by one
 * conditional write taken under the person's MFA lock (lockOwnerOfAction), whatever its kind.
 */
export async function runDuePendingActions(ctx: Context): Promise<number> {
  const nowISO = ctx.clock.now().toISOString();
  const due = await ctx.db.selectFrom('pending_actions').select('id').where('status', '=', 'pending').where('effective_at', '<=', nowISO).orderBy('effective_at').limit(100).execute();
  let applied = 0;
  for (const { id } of due) {
    const ok = await ctx.db.transaction().execute(async (trx) => {
      if (!(await lockOwnerOfAction(ctx, trx, { id }))) return false;
      const row = await trx.updateTable('pending_actions').set({ status: 'done', finished_at: nowISO }).where('id', '=', id).where('status', '=', 'pending').returningAll().executeTakeFirst();
      if (!row) return false;
      const target = await findAccountByID(trx, row.owner_kind, row.owner_id);
      if (!target) {
        await trx.updateTable('pending_actions').set({ status: 'failed' }).where('id', '=', id).execute();
        return false;
      }
      const params = JSON.parse(row.params) as Record<string, unknown>;
      const action: StaffAction = {
        actor: { type: row.actor_type as Actor['type'], id: row.actor_id },
        // Its identity check, if any, was used when it was scheduled.
        staffID: null,
        actorLabel: 'our support team',
        target,
        reason: row.reason,
        verification: { method: 'none' },
        meta: { ip: null, userAgent: null },
      };
      const verification = row.verification ? JSON.parse(row.verification) : null;
      if (row.kind === 'temporary_code') {
        const state = await scheduledCodeState(ctx, trx, row, String(params.expiresAt));
        if (state !== 'live' && state !== 'used') {
          // Voided meanwhile (a newer code, a reset, the customer's own enrollment) or expired:
          // nothing becomes active, so nothing is announced, and the action did not happen.
          await trx.updateTable('pending_actions').set({ status: 'cancelled', cancelled_by: 'system' }).where('id', '=', id).execute();
          const why = state === 'expired' ? 'the temporary access code expired before it could become active' : 'the temporary access code was voided before the waiting period ended (a newer code, a reset or the customer setting up a method)';
          await appendAuditEvent(ctx, trx, {
            actor: { type: 'system', id: null },
            action: 'mfa.pending_action.cancelled',
            ...(row.owner_kind === 'contact' ? { contactID: row.owner_id } : { staffID: row.owner_id }),
            reason: why,
            details: { pendingActionId: row.id, kind: row.kind, codeState: state },
          });
          const ticket = row.owner_kind === 'contact' ? await openRecoveryTicket(trx, row.owner_id) : null;
          if (ticket) await addSystemNote(ctx, trx, ticket, `The scheduled temporary access code did not become active: ${why}.`);
          return false;
        }
        await appendAuditEvent(ctx, trx, {
          actor: action.actor,
          action: 'mfa.temporary_code.activated',
          contactID: target.id,
          reason: row.reason,
          verification,
          details: { pendingActionId: row.id, expiresAt: params.expiresAt, ...(state === 'used' ? { alreadyUsed: true } : {}) },
        });
        // Used already (in the moment between its start and this run): it was announced as used.
        if (state === 'used') return true;
        await ctx.mailer.enqueue(
          trx,
          templates.securityNotice(target.email, 'A temporary access code for your account is now active', [`The waiting period is over: the temporary access code our support team issued for your account on ${whenText(row.created_at)} (we emailed you about it then) can now be used once to sign in and set up a new sign-in method.`], {
            at: ctx.clock.now(),
            ip: null,
            userAgent: null,
            actor: 'our support team',
          }),
        );
      } else {
        await applyReset(ctx, trx, action, params.requireEnrollment !== false, verification, { pendingActionId: row.id, scheduledAt: row.created_at });
      }
      return true;
    });
    if (ok) applied++;
  }
  return applied;
}
