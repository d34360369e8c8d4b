import { MINUTE } from '../clock.js';
import type { Context, RequestMeta } from '../context.js';
import type { Executor } from '../db/index.js';
import { AppError } from '../http/errors.js';
import { appendAuditEvent, type Actor } from '../audit/service.js';
import { selfNotYou, templates } from '../notify/templates.js';
import type { Account } from '../accounts/store.js';
import * as stateStore from './state-store.js';
import type { Owner } from './store.js';

/**
 * Brute-force rules of PRODUCT.md §7. One per-account counter covers every code check (TOTP,
 * WebAuthn, recovery, temporary, identity); every LOCK_EVERY consecutive failures lock the
 * second step for LOCK_FOR; HARD_LOCK_AT consecutive failures lock it until staff unlock it or
 * the password is reset. The counter is written in its own statement, never inside the
 * sign-in's transaction, so rolling a sign-in back never rolls a failure back.
 */
export const CHALLENGE_MAX_WRONG = 5;
export const LOCK_EVERY = 10;
export const LOCK_FOR = 15 * MINUTE;
export const HARD_LOCK_AT = 100;

export function ownerOf(a: { kind: Account['kind']; id: string }): Owner {
  return { kind: a.kind, id: a.id };
}

export interface LockState {
  locked: boolean;
  hard: boolean;
  until: string | null;
  failures: number;
}

export async function lockState(ctx: Context, owner: Owner, db: Executor = ctx.db): Promise<LockState> {
  return lockStateOf(ctx, await stateStore.findMFAAccount(db, owner));
}

/** The lock state of an account's MFA state row already read (null: no row, not locked). */
export function lockStateOf(ctx: Context, row: Pick<stateStore.MFAAccount, 'failures' | 'locked_until' | 'hard_locked'> | null): LockState {
  if (!row) return { locked: false, hard: false, until: null, failures: 0 };
  const now = ctx.clock.now().toISOString();
  const hard = row.hard_locked === 1;
  const temporary = row.locked_until !== null && row.locked_until > now;
  return { locked: hard || temporary, hard, until: hard ? null : temporary ? row.locked_until : null, failures: Number(row.failures) };
}

export function throwIfLocked(ctx: Context, s: LockState): void {
  if (!s.locked) return;
  if (s.hard) throw new AppError('account_locked', 'Too many wrong codes: this account is locked until the support team unlocks it or you reset your password');
  const retryAfter = Math.ceil((new Date(s.until!).getTime() - ctx.clock.now().getTime()) / 1000);
  throw new AppError('account_locked', `Too many wrong codes: try again in ${Math.ceil(retryAfter / 60)} minutes`, { retryAfter });
}

/**
 * A code check's claim on the account's counter, taken before its code is judged: the
 * consecutive failure it is, should the code be wrong, and the lock that failure sets.
 */
export interface CodeCheck {
  owner: Owner;
  /** The consecutive failure this check counts as (already written). */
  failures: number;
  /** The lock this check set when it was taken; it stands if the code is wrong. */
  lock: 'hard' | 'temporary' | null;
  lockedUntil: string | null;
  /** The account's MFA state row, as the write that took the check left it. */
  state: stateStore.MFAAccount;
}

/**
 * Takes a code check from the account before the code is judged (PRODUCT.md §7), or throws
 * 429 `account_locked`. One conditional write counts the check as the next consecutive
 * failure, and decides, so racing checks cannot get more codes judged than the limits allow:
 * the check that reaches LOCK_EVERY (or HARD_LOCK_AT) failures sets the lock as it is taken,
 * and no other check is judged until it ends (a right code lifts it again, see
 * clearCodeFailures). Committed on its own, never inside a sign-in's transaction. The caller
 * must end the check: confirmCodeFailure, clearCodeFailures, or returnCodeCheck.
 */
export async function takeCodeCheck(ctx: Context, account: Account): Promise<CodeCheck> {
  const owner = ownerOf(account);
  // A lock read as ending between the write and the read that explains it: take again.
  for (let i = 0; i < 3; i++) {
    const check = await takeCheckIn(ctx, ctx.db, owner);
    if (check) return check;
    throwIfLocked(ctx, await lockState(ctx, owner));
  }
  throw new AppError('account_locked', 'Too many wrong codes: try again later');
}

/** The one conditional write that takes a check (stateStore.takeCodeCheck); null when locked. */
async function takeCheckIn(ctx: Context, db: Executor, owner: Owner): Promise<CodeCheck | null> {
  const now = ctx.clock.now();
  const row = await stateStore.takeCodeCheck(db, owner, { at: now.toISOString(), lockUntil: new Date(now.getTime() + LOCK_FOR).toISOString(), lockEvery: LOCK_EVERY, hardLockAt: HARD_LOCK_AT });
  if (!row) return null;
  const failures = Number(row.failures);
  const lock = failures >= HARD_LOCK_AT ? 'hard' : failures % LOCK_EVERY === 0 ? 'temporary' : null;
  return { owner, failures, lock, lockedUntil: lock === 'temporary' ? row.locked_until : null, state: row };
}

/** The lock a check set, as the answer states it (throwIfLocked); null when it set none. */
export function lockSetBy(check: Pick<CodeCheck, 'failures' | 'lock' | 'lockedUntil'>): LockState | null {
  return check.lock ? { locked: true, hard: check.lock === 'hard', until: check.lockedUntil, failures: check.failures } : null;
}

/**
 * Counts a code already judged wrong, in the caller's transaction (its own, never a sign-in's,
 * so that nothing a sign-in rolls back takes a failure with it): the next consecutive failure,
 * with the lock it reaches set by the same conditional write. Null when the account was locked
 * already: the caller then rolls back and answers as after the lock, with nothing counted.
 * The caller announces the failure (announceCodeFailure) once its other writes are done.
 */
export function takeFailure(ctx: Context, trx: Executor, owner: Owner): Promise<CodeCheck | null> {
  return takeCheckIn(ctx, trx, owner);
}

/** Ends a check whose code was never judged (the request failed first): it counts nowhere. */
export async function returnCodeCheck(ctx: Context, check: CodeCheck): Promise<void> {
  await stateStore.returnCodeCheck(ctx.db, check.owner, check.failures, check.lock !== null, ctx.clock.now().toISOString());
}

/**
 * Ends a check whose code was judged wrong: the failure it counted stays, and is audited; if
 * it set a lock that still stands (no right code or staff lifted it meanwhile), the lock is
 * audited and the owner emailed, once, as only one check reaches each lock. Returns the lock.
 */
export async function confirmCodeFailure(ctx: Context, account: Account, meta: RequestMeta, check: string, taken: CodeCheck): Promise<LockState | null> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    let lock = taken.lock;
    if (lock) {
      const r = await trx
        .updateTable('mfa_accounts')
        .set({ updated_at: now.toISOString() })
        .where('owner_kind', '=', taken.owner.kind)
        .where('owner_id', '=', taken.owner.id)
        .$if(lock === 'hard', (q) => q.where('hard_locked', '=', 1))
        .$if(lock === 'temporary', (q) => q.where('locked_until', '=', taken.lockedUntil))
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) lock = null;
    }
    await announceCodeFailure(ctx, trx, account, meta, check, taken.failures, lock, now);
    return lockSetBy({ ...taken, lock });
  });
}

/**
 * Counts one failed code check that was judged without taking a check first (identity checks,
 * which limit their own tries), in a transaction of its own. The failure is counted, and the
 * lock it reaches set, by the one conditional write that counts second-step codes (takeFailure),
 * so a right code passed meanwhile, which ends the run of failures, is never followed by a lock
 * that no failure of the new run reached; and only the write that set a lock announces it (the
 * owner's email, the audit entry). While the second step is locked already, the failure counts
 * nowhere, as no code check counts then, and is audited as such (`counted: false`). Returns
 * 'hard' or 'temporary' when this failure locked the account, else null.
 */
export async function recordCodeFailure(ctx: Context, account: Account, meta: RequestMeta, check: string, enteredBy?: EnteredBy): Promise<'hard' | 'temporary' | null> {
  const owner = ownerOf(account);
  // A lock read as ending between the write and the read that explains it: take again (the
  // last time round, the failure is audited as not counted all the same).
  for (let i = 0; ; i++) {
    const now = ctx.clock.now();
    const counted = await ctx.db.transaction().execute(async (trx) => {
      const failure = await takeFailure(ctx, trx, owner);
      if (failure) {
        // The audit chain's head last: every transaction appends there as its final write.
        await announceCodeFailure(ctx, trx, account, meta, check, failure.failures, failure.lock, now, enteredBy);
        return { lock: failure.lock };
      }
      const state = await lockState(ctx, owner, trx);
      if (!state.locked && i < 2) return null;
      await announceCodeFailure(ctx, trx, account, meta, check, state.failures, null, now, enteredBy, false);
      return { lock: null };
    });
    if (counted) return counted.lock;
  }
}

/**
 * Who typed a wrong code that was not the person's own: a staff member entering the identity
 * check code a customer read to them. It counts against the person's counter all the same (one
 * counter covers every code check, PRODUCT.md §7), but the audit log and the lockout email say
 * who entered it, so a customer is never shown a staff member's wrong codes as their own.
 */
export interface EnteredBy {
  actor: Actor;
  checkID: string;
}

/**
 * The audit entries of a failed code check, and the owner's email when it locked the account.
 * Appends to the audit chain, whose head row every transaction writes last.
 */
export async function announceCodeFailure(
  ctx: Context,
  trx: Executor,
  account: Account,
  meta: RequestMeta,
  check: string,
  failures: number,
  lock: 'hard' | 'temporary' | null,
  now: Date,
  enteredBy?: EnteredBy,
  /** False for a failure judged while the second step was locked: it did not add to `failures`. */
  counted = true,
): Promise<void> {
  await appendAuditEvent(ctx, trx, {
    actor: enteredBy?.actor ?? { type: account.kind, id: account.id },
    action: 'mfa.challenge.failed',
    ...(account.kind === 'contact' ? { contactID: account.id } : { staffID: account.id }),
    meta,
    details: { check, consecutiveFailures: failures, ...(enteredBy ? { checkId: enteredBy.checkID } : {}), ...(counted ? {} : { counted: false }) },
  });
  if (!lock) return;
  await appendAuditEvent(ctx, trx, {
    actor: { type: 'system', id: null },
    action: lock === 'hard' ? 'mfa.locked.until_unlocked' : 'mfa.locked.temporarily',
    ...(account.kind === 'contact' ? { contactID: account.id } : { staffID: account.id }),
    meta,
    details: { consecutiveFailures: failures, ...(lock === 'temporary' ? { minutes: LOCK_FOR / MINUTE } : {}) },
  });
  await ctx.mailer.enqueue(
    trx,
    templates.securityNoticeFor(account.kind)(
      account.email,
      'Two-step verification locked after wrong codes',
      [
        `There were ${failures} wrong two-step verification codes in a row on your account, so we locked the second sign-in step ${
          lock === 'hard' ? 'until our support team unlocks it or you reset your password' : 'for 15 minutes'
        }.`,
        ...(enteredBy
          ? ['The last wrong code was one our support team entered while checking who they were talking to: the code we emailed you, read back wrong. If you were not talking to our support team, someone may be trying to take over your account.']
          : []),
      ],
      // Not "by you": whoever typed the codes, which the owner may not have been.
      { at: now, ...meta, actor: enteredBy ? 'our support team, checking who they were talking to' : 'whoever entered the codes for your account' },
      undefined,
      enteredBy ? undefined : selfNotYou(account.kind),
    ),
  );
}

/**
 * A passed code check ends the run of consecutive failures, and lifts a lock only if that
 * check set it as it was taken (it reached the lock, and its code was right). Checks taken
 * meanwhile by racing requests are forgiven with the rest, as if they came first.
 */
export async function clearCodeFailures(ctx: Context, db: Executor, owner: Owner, passed?: CodeCheck): Promise<void> {
  await stateStore.clearFailures(db, owner, ctx.clock.now().toISOString(), passed?.lock === 'hard');
}

/** Lifts every lock (staff unlock, or a password reset). Returns whether anything was locked. */
export async function unlockSecondStep(ctx: Context, db: Executor, owner: Owner): Promise<boolean> {
  const before = await lockState(ctx, owner, db);
  await db
    .updateTable('mfa_accounts')
    .set({ failures: 0, locked_until: null, hard_locked: 0, updated_at: ctx.clock.now().toISOString() })
    .where('owner_kind', '=', owner.kind)
    .where('owner_id', '=', owner.id)
    .execute();
  return before.locked;
}

/**
 * A password reset lifts the lock that waits for staff or a reset (PRODUCT.md §7), and only
 * that one: a 15-minute lock stays, and the run of failures resumes LOCK_EVERY short of the
 * hard lock, so that someone who holds the mailbox cannot reset their way to unlimited
 * guesses. Returns whether a hard lock was lifted.
 */
export async function liftHardLockAfterPasswordReset(ctx: Context, db: Executor, owner: Owner): Promise<boolean> {
  const r = await db
    .updateTable('mfa_accounts')
    .set({ hard_locked: 0, failures: HARD_LOCK_AT - LOCK_EVERY, updated_at: ctx.clock.now().toISOString() })
    .where('owner_kind', '=', owner.kind)
    .where('owner_id', '=', owner.id)
    .where('hard_locked', '=', 1)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
