import type { Expression, ExpressionBuilder, Selectable, SqlBool } from 'kysely';
import type { Context, RequestMeta } from '../context.js';
import type { Database, Executor } from '../db/index.js';
import type { PendingActionsTable } from '../db/types.js';
import type { AuditEntry } from '../audit/service.js';
import { templates } from '../notify/templates.js';
import { mayActOn } from './who-may-act.js';
import { findAccountByID } from '../accounts/store.js';
import { addSystemNote } from '../tickets/service.js';
import { KIND_TEXT, openRecoveryTicket, takeBackScheduledCode, tellOwnerItIsOff, whenText } from './pending-actions.js';

// When a staff member is deactivated or loses the role an action needs, or an API token is
// revoked, what they issued that has not taken effect goes with their authority: the
// waiting-period changes they scheduled, and the temporary access codes they issued that still
// work (PRODUCT.md §4: a change must not outlive the authority that made it). Bulk jobs they
// started are cancelled by bulk.ts. Called in the transaction that ends the authority, in this
// order: bulk jobs (cancelBulkJobsStartedBy), pending actions, codes; their audit entries are
// collected in `audit` and appended by the caller last. The audit head is the row every
// transaction writes last: a bulk batch holds its job's row and then appends, and a sign-in
// with a code takes the code's row (by its conditional write, right after the new session:
// mfa/second-step.ts) and only then appends, so writing the head before those rows deadlocked
// a deactivation against them on PostgreSQL. (Until the sign-in took its code before its audit
// entry, it appended first and then wanted the code's row, and deadlocked against every
// transaction here that voids a code.)

/**
 * Whose authority ended: a staff member (in person, and through the API tokens they own or
 * made for someone else) or one API token; which accounts they may still act on; and the words
 * for the audit log and the ticket.
 */
export interface EndedAuthority {
  /** Actor ids: the staff member's id (staff actor), the token ids (token actor). */
  staffID: string | null;
  tokenIDs: string[];
  mayStill: (ownerKind: 'contact' | 'staff') => boolean;
  /** The audit entry's reason. */
  why: string;
  /** For the ticket: "the staff member who scheduled it no longer has the rights to make it". */
  whoCannot: (verb: 'scheduled' | 'issued') => string;
  /** The audit entry's details (who it was). */
  details: Record<string, unknown>;
  /**
   * Whether the bulk resets it started are cancelled (cancelBulkJobsStartedBy): always for a
   * token; for a staff member unless they stay an active admin (as updateStaffMember decides).
   */
  endsBulkJobs: boolean;
  /** Whether its API tokens (`tokenIDs`) are revoked with it: a deactivation's or a revocation's, not a demotion's. */
  revokesTokens: boolean;
}

/** What a staff member may still do (mayActOn): nothing once deactivated. */
export function staffMayStill(staff: { active: boolean; role: 'agent' | 'supervisor' | 'admin' }): (ownerKind: 'contact' | 'staff') => boolean {
  return (ownerKind) => staff.active && mayActOn(staff.role, ownerKind);
}

/** The ids of the API tokens a staff member owns or made for someone else (revoked or not). */
export async function tokensOf(trx: Executor, staffID: string): Promise<string[]> {
  const rows = await trx
    .selectFrom('api_tokens')
    .select('id')
    .where((eb) => eb.or([eb('staff_id', '=', staffID), eb('created_by', '=', staffID)]))
    .execute();
  return rows.map((r) => r.id);
}

/**
 * The rows (pending actions, bulk jobs) made under an authority: in person (a staff actor) or
 * through one of its tokens (a token actor). For a `where`; `who` must name someone.
 */
export function actedUnder<T extends 'pending_actions' | 'bulk_jobs'>(who: Pick<EndedAuthority, 'staffID' | 'tokenIDs'>): (eb: ExpressionBuilder<Database, T>) => Expression<SqlBool> {
  const { staffID, tokenIDs } = who;
  return (eb: ExpressionBuilder<Database, T>) => {
    // Both tables have these two columns alike; Kysely cannot see that through the generic.
    const e = eb as unknown as ExpressionBuilder<Database, 'pending_actions'>;
    return e.or([
      ...(staffID !== null ? [e.and([e('actor_type', '=', 'staff'), e('actor_id', '=', staffID)])] : []),
      ...(tokenIDs.length ? [e.and([e('actor_type', '=', 'token'), e('actor_id', 'in', tokenIDs)])] : []),
    ]);
  };
}

/** The pending actions scheduled under an authority that it may no longer make (cancelPendingActionsOf cancels them). */
async function pendingActionsCutFrom(trx: Executor, who: EndedAuthority): Promise<Selectable<PendingActionsTable>[]> {
  if (who.staffID === null && !who.tokenIDs.length) return [];
  const rows = await trx.selectFrom('pending_actions').selectAll().where('status', '=', 'pending').where(actedUnder(who)).execute();
  return rows.filter((row) => !who.mayStill(row.owner_kind));
}

/** Who issued the temporary codes an authority takes back (in person, through its tokens), and for which kinds of account. */
function codesCutFrom(who: EndedAuthority): { issuers: string[]; kinds: ('contact' | 'staff')[] } {
  return {
    issuers: [...(who.staffID !== null ? [who.staffID] : []), ...who.tokenIDs],
    kinds: (['contact', 'staff'] as const).filter((k) => !who.mayStill(k)),
  };
}

/** A temporary code that works now or would (unused, not voided, not expired): voidTemporaryCodesIssuedBy voids it. */
function liveCode(issuers: string[], kinds: ('contact' | 'staff')[], nowISO: string) {
  return (eb: ExpressionBuilder<Database, 'temporary_codes'>) =>
    eb.and([eb('issued_by', 'in', issuers), eb('owner_kind', 'in', kinds), eb('used_at', 'is', null), eb('voided_at', 'is', null), eb('expires_at', '>', nowISO)]);
}

/** A temporary code used to sign in whose sign-in has not enrolled (an enrollment clears session_hash). */
function usedCodeNotEnrolled(issuers: string[], kinds: ('contact' | 'staff')[]) {
  return (eb: ExpressionBuilder<Database, 'temporary_codes'>) =>
    eb.and([eb('issued_by', 'in', issuers), eb('owner_kind', 'in', kinds), eb('used_at', 'is not', null), eb('session_hash', 'is not', null)]);
}

/** What ending an authority would take back, as counted before it ends. */
export interface WhatEndingTakesBack {
  /** Its API tokens not revoked yet (0 when it revokes none: a demotion). */
  apiTokens: number;
  /** Bulk resets it started that are queued or running. */
  runningBulkResets: number;
  /** Changes it scheduled through the waiting period on accounts it could then no longer act on. */
  scheduledChanges: number;
  /**
   * Temporary codes it issued for such accounts that work now or still would, and those used
   * whose sign-in has not set up a method yet (that sign-in is ended). A code held back for a
   * scheduled change still waiting is that change's, counted in `scheduledChanges`.
   */
  liveTemporaryCodes: number;
}

/**
 * Counts, without changing anything, what ending `who` would take back: the same selections
 * the cleanups above (and cancelBulkJobsStartedBy, revokeStaffTokens) make in the transaction
 * that ends it. A preview for the console's confirmations; what is taken back is decided there.
 */
export async function countWhatEndingTakesBack(ctx: Context, db: Executor, who: EndedAuthority): Promise<WhatEndingTakesBack> {
  const nowISO = ctx.clock.now().toISOString();
  const count = async (q: { executeTakeFirstOrThrow(): Promise<{ n: number | string | bigint }> }) => Number((await q.executeTakeFirstOrThrow()).n);
  const anyActor = who.staffID !== null || who.tokenIDs.length > 0;
  const apiTokens =
    who.revokesTokens && who.tokenIDs.length
      ? await count(db.selectFrom('api_tokens').select((eb) => eb.fn.countAll<number>().as('n')).where('id', 'in', who.tokenIDs).where('revoked_at', 'is', null))
      : 0;
  const runningBulkResets =
    who.endsBulkJobs && anyActor
      ? await count(db.selectFrom('bulk_jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('status', 'in', ['queued', 'running']).where(actedUnder(who)))
      : 0;
  const scheduledChanges = (await pendingActionsCutFrom(db, who)).length;
  const { issuers, kinds } = codesCutFrom(who);
  let liveTemporaryCodes = 0;
  if (issuers.length && kinds.length) {
    liveTemporaryCodes += await count(
      db
        .selectFrom('temporary_codes')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where(liveCode(issuers, kinds, nowISO))
        .where((eb) => eb.or([eb('valid_from', 'is', null), eb('valid_from', '<=', nowISO)])),
    );
    liveTemporaryCodes += await count(
      db
        .selectFrom('temporary_codes')
        .innerJoin('sessions', 'sessions.id_hash', 'temporary_codes.session_hash')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where(usedCodeNotEnrolled(issuers, kinds))
        .where('sessions.level', '=', 'enrollment'),
    );
  }
  return { apiTokens, runningBulkResets, scheduledChanges, liveTemporaryCodes };
}

/**
 * What a staff change would take back (countWhatEndingTakesBack): a deactivation (`{active:
 * false}`) or a move to `role`, judged on where it leaves them, as updateStaffMember does.
 */
export async function countWhatStaffChangeTakesBack(
  ctx: Context,
  staff: { id: string; active: boolean; role: 'agent' | 'supervisor' | 'admin' },
  change: { role?: 'agent' | 'supervisor' | 'admin'; active?: boolean },
): Promise<WhatEndingTakesBack> {
  const standing = { id: staff.id, active: change.active ?? staff.active, role: change.role ?? staff.role };
  return countWhatEndingTakesBack(ctx, ctx.db, await staffAuthority(ctx.db, standing));
}

/** What revoking an API token would take back (countWhatEndingTakesBack). */
export async function countWhatRevokingTakesBack(ctx: Context, tokenID: string): Promise<WhatEndingTakesBack> {
  return countWhatEndingTakesBack(ctx, ctx.db, tokenAuthority(tokenID));
}

/** A staff member's ended (or cut) authority, for the cleanups below. */
export async function staffAuthority(trx: Executor, staff: { id: string; active: boolean; role: 'agent' | 'supervisor' | 'admin' }): Promise<EndedAuthority> {
  return {
    staffID: staff.id,
    tokenIDs: await tokensOf(trx, staff.id),
    mayStill: staffMayStill(staff),
    why: staff.active ? 'the staff member who scheduled it no longer has a role that may do it' : 'the staff member who scheduled it was deactivated',
    whoCannot: (verb) => `the staff member who ${verb} it no longer has the rights to make it`,
    details: { scheduledBy: staff.id },
    endsBulkJobs: !(staff.active && staff.role === 'admin'),
    revokesTokens: !staff.active,
  };
}

/** One API token's ended authority (revoked): nothing it issued may still take effect. */
export function tokenAuthority(tokenID: string): EndedAuthority {
  return {
    staffID: null,
    tokenIDs: [tokenID],
    mayStill: () => false,
    why: 'the API token that scheduled it was revoked',
    whoCannot: (verb) => `the API token that ${verb} it was revoked`,
    details: { scheduledBy: tokenID },
    endsBulkJobs: true,
    revokesTokens: true,
  };
}

/**
 * Cancels the pending actions scheduled under an authority that ended (a staff member's, or a
 * revoked API token's) on accounts it may no longer act on: each by one conditional write, with
 * an audit entry, an email telling the person it is off, and a note on their recovery ticket.
 */
export async function cancelPendingActionsOf(ctx: Context, trx: Executor, who: EndedAuthority, meta: RequestMeta, audit: AuditEntry[]): Promise<number> {
  const rows = await pendingActionsCutFrom(trx, who);
  const nowISO = ctx.clock.now().toISOString();
  let cancelled = 0;
  for (const row of rows) {
    // The conditional write decides first; only then is the code taken back.
    const r = await trx.updateTable('pending_actions').set({ status: 'cancelled', finished_at: nowISO, cancelled_by: 'system' }).where('id', '=', row.id).where('status', '=', 'pending').executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) continue;
    // A code used and enrolled already is a change made: the action goes back to pending, for
    // the runner to close as done.
    if (row.kind === 'temporary_code' && (await takeBackScheduledCode(ctx, trx, row, { tooLate: 'keep' })) === 'happened') {
      await trx.updateTable('pending_actions').set({ status: 'pending', finished_at: null, cancelled_by: null }).where('id', '=', row.id).execute();
      continue;
    }
    audit.push({
      actor: { type: 'system', id: null },
      action: 'mfa.pending_action.cancelled',
      ...(row.owner_kind === 'contact' ? { contactID: row.owner_id } : { staffID: row.owner_id }),
      reason: who.why,
      meta,
      details: { pendingActionId: row.id, kind: row.kind, ...who.details },
    });
    // The customer was told the change was coming; they are told it is off, and why, like a
    // cancel by staff (PRODUCT.md §4: every action emails the person it concerns).
    await tellOwnerItIsOff(
      ctx,
      trx,
      row,
      `The change scheduled for ${whenText(row.effective_at)} was cancelled because the support team member who scheduled it can no longer make it: it will not ${KIND_TEXT[row.kind]}. Nothing changes on your account. If you still need help, contact support again.`,
      meta,
    );
    const ticket = row.owner_kind === 'contact' ? await openRecoveryTicket(trx, row.owner_id) : null;
    if (ticket) await addSystemNote(ctx, trx, ticket, `The scheduled ${row.kind.replace('_', ' ')} was cancelled: ${who.whoCannot('scheduled')}.`);
    cancelled++;
  }
  return cancelled;
}

/**
 * Takes back the temporary access codes issued under an authority that ended (in person or
 * through one of the tokens), for accounts it may no longer act on: those that still work or
 * would (unused, not voided, not expired) are voided; and a code used already has its
 * enrollment-only sign-in ended, if that sign-in has not enrolled yet (its session still at
 * the enrollment level), as a cancelled scheduled code has (takeBackHeldCode). A code issued at
 * once (no waiting period) is not a pending action, so cancelPendingActionsOf does not see it;
 * a 72-hour code from a deactivated supervisor must not keep working, nor the sign-in it
 * opened go on to retire the owner's factors. Conditional writes decide which; each person
 * concerned is emailed, and their recovery ticket noted. Returns their ids, for the caller's
 * audit entry.
 */
export async function voidTemporaryCodesIssuedBy(ctx: Context, trx: Executor, who: EndedAuthority, meta: RequestMeta): Promise<string[]> {
  const { issuers, kinds } = codesCutFrom(who);
  if (!issuers.length || !kinds.length) return [];
  const now = ctx.clock.now();
  const nowISO = now.toISOString();
  const voided = await trx.updateTable('temporary_codes').set({ voided_at: nowISO }).where(liveCode(issuers, kinds, nowISO)).returning(['owner_kind', 'owner_id']).execute();
  // Codes used whose sign-in has not enrolled (an enrollment clears the code's session_hash).
  const used = await trx.selectFrom('temporary_codes').select('session_hash').where(usedCodeNotEnrolled(issuers, kinds)).execute();
  const hashes = used.map((c) => c.session_hash!);
  const ended = hashes.length
    ? await trx.deleteFrom('sessions').where('id_hash', 'in', hashes).where('level', '=', 'enrollment').returning(['kind', 'subject_id']).execute()
    : [];
  const concerned = new Map<string, { kind: 'contact' | 'staff'; signInEnded: boolean }>();
  for (const c of voided) concerned.set(c.owner_id, { kind: c.owner_kind, signInEnded: false });
  for (const e of ended) concerned.set(e.subject_id, { kind: e.kind, signInEnded: true });
  for (const [ownerID, { kind, signInEnded }] of concerned) {
    const owner = await findAccountByID(trx, kind, ownerID);
    if (owner) {
      await ctx.mailer.enqueue(
        trx,
        templates.securityNoticeFor(kind)(
          owner.email,
          'The temporary access code for your account no longer works',
          [
            `The temporary access code our support team issued for your account was cancelled because the support team member who issued it can no longer act on your account: it no longer works${signInEnded ? ', and the sign-in made with it was ended before it could set up a sign-in method' : ''}. Nothing else changes on your account. If you still need help, contact support again.`,
          ],
          { at: now, ip: meta.ip, userAgent: meta.userAgent, actor: 'our support team' },
        ),
      );
    }
    const ticket = kind === 'contact' ? await openRecoveryTicket(trx, ownerID) : null;
    if (ticket) await addSystemNote(ctx, trx, ticket, `The temporary access code was ${signInEnded ? 'taken back (the sign-in made with it was ended before it set up a method)' : 'voided'}: ${who.whoCannot('issued')}.`);
  }
  return [...concerned.keys()];
}
