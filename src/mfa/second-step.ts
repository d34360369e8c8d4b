import type { Context, RequestMeta } from '../context.js';
import type { Executor } from '../db/index.js';
import { AppError } from '../http/errors.js';
import { appendAuditEvent } from '../audit/service.js';
import type { Account } from '../accounts/store.js';
import * as sessions from '../sessions/service.js';
import type { NewSession, SessionRow } from '../sessions/service.js';
import { getSettingsHeld } from '../settings/service.js';
import * as store from './store.js';
import type { Owner } from './store.js';
import * as stateStore from './state-store.js';
import {
  announceCodeFailure,
  CHALLENGE_MAX_WRONG,
  clearCodeFailures,
  confirmCodeFailure,
  lockSetBy,
  lockStateOf,
  ownerOf,
  returnCodeCheck,
  takeCodeCheck,
  takeFailure,
  throwIfLocked,
  type CodeCheck,
  type LockState,
} from './lockout.js';
import { checkSecondFactor, consumeTOTPMatch, matchTOTPFactors, type CheckResult, type SecondFactorInput } from './factor-check.js';
import { rememberDevice } from './remembered-devices.js';
import { announceTemporaryCodeUse, findUsableTemporaryCode, takeTemporaryCode } from './temporary-codes.js';

export interface VerifyOutcome {
  session: NewSession;
  state: 'authenticated' | 'enrollment_required';
  rememberCookie?: { token: string; maxAgeSeconds: number };
}

/**
 * Passes (or fails) the pending second step of a sign-in. A challenge allows 5 wrong codes and
 * every wrong code also counts against the account; success starts a new session (new id) with
 * a fresh step-up, or an enrollment-only one after a temporary code or when staff required a
 * new enrollment. Whatever the method, requests in flight together get the answers the same
 * requests would get one after the other, and every answer is decided by a conditional write:
 * - an authenticator code is judged first (an HMAC, no write) and the limits are decided as it
 *   commits: see verifyTOTPAtCommit;
 * - the other methods cost more to judge (argon2id for a recovery code, a signature for a
 *   passkey), so a request first takes a try from the challenge and a check from the account,
 *   each by one conditional write, and is refused (429, its code unchecked) when either has
 *   none left: no more of them are judged than one after the other. A wrong code keeps both;
 *   a right one clears the account's run of failures; a request that fails before its code is
 *   judged gives both back.
 * What a right answer spends (a TOTP step, a recovery code, a passkey counter, a temporary
 * code) is spent in the transaction of the session it opens, so a sign-in that fails keeps it.
 */
export async function verifySecondStep(
  ctx: Context,
  pending: SessionRow,
  account: Account,
  input: SecondFactorInput & { rememberDevice?: boolean },
  meta: RequestMeta,
): Promise<VerifyOutcome> {
  if (input.method === 'totp') return verifyTOTPAtCommit(ctx, pending, account, input, meta);
  // The write that takes the check returns the account's MFA state: it also serves the
  // enrollment flag.
  const { attempt, check } = await takeTries(ctx, pending, account, 'sign_in');
  let outcome: VerifyOutcome | Refused;
  try {
    outcome = await judgeSecondStep(ctx, pending, account, input, meta, check);
  } catch (error) {
    await returnTries(ctx, pending, 'sign_in', attempt, check);
    throw error;
  }
  if (!('refused' in outcome)) return outcome;
  const lock = await confirmCodeFailure(ctx, account, meta, outcome.refused, check);
  if (lock) throwIfLocked(ctx, lock);
  throw wrongCode(attempt);
}

function wrongCode(attempt: number): AppError {
  if (attempt >= CHALLENGE_MAX_WRONG) return challengeLocked('sign_in');
  return new AppError('invalid_code', `That code did not work; ${CHALLENGE_MAX_WRONG - attempt} tries left for this sign-in`, { attemptsLeft: CHALLENGE_MAX_WRONG - attempt });
}

/**
 * The authenticator-app second step, decided as it commits. The code is judged before any
 * write (an HMAC per enrolled app); then one transaction decides:
 * - a right code commits the new session only if, at that moment, the account is not locked
 *   and the challenge has a try left (re-read under the write, and on PostgreSQL by a
 *   conditional write that waits for racing failures), with the replay guard and the cleared
 *   run of failures: one commit for the whole sign-in;
 * - a wrong (or replayed) code commits its failure, in a transaction of its own, only if the
 *   account is not locked and the challenge has a try left; that write counts it on both and
 *   sets the lock it reaches (auditing and emailing it).
 * A request whose commit finds a limit reached is answered as one that came after the limit:
 * 429, whether its code was right or wrong, with nothing written. So every answer is the one
 * a serial order gives, and no answer past a limit tells whether its code was right. A
 * request that finds a limit reached before judging is refused unjudged, which keeps a locked
 * account from being timed.
 */
async function verifyTOTPAtCommit(ctx: Context, pending: SessionRow, account: Account, input: { code: string; rememberDevice?: boolean }, meta: RequestMeta): Promise<VerifyOutcome> {
  const owner = ownerOf(account);
  // The limits and the authenticator apps in one read.
  const read = await stateStore.signInLimitsWithTOTPFactors(ctx.db, pending.idHash, owner);
  refuseAtLimit(ctx, read);
  const now = ctx.clock.now();
  const nowISO = now.toISOString();
  const match = matchTOTPFactors(ctx, read.factors, input.code, now);
  if (match) {
    try {
      return await ctx.db.transaction().execute(async (trx) => {
        // The state first, without a lock: a lock set since the read above refuses before the
        // replay guard's write, so a right code and a wrong one cost the same here.
        const state = await stateStore.findMFAAccount(trx, owner);
        if (lockStateOf(ctx, state).locked) throw new LimitReached();
        // Then the rows in the order every transaction of this person takes them (factor, MFA
        // state, challenge, session; resets too), so that on PostgreSQL they queue.
        if (!(await consumeTOTPMatch(trx, match, nowISO))) throw new TOTPReplay();
        if (!(await stateStore.passCodeCheck(trx, ctx.dialect, owner, state, nowISO))) throw new LimitReached();
        if (!(await stateStore.takeSignInChallengeForPass(trx, pending.idHash, CHALLENGE_MAX_WRONG))) throw new LimitReached();
        return completeSecondStep(ctx, trx, pending, account, input, meta, { method: 'totp', factorID: match.factorID }, state?.enrollment_required === 1);
      });
    } catch (error) {
      if (error instanceof LimitReached) return explainLimit(ctx, pending, owner);
      if (!(error instanceof TOTPReplay)) throw error;
    }
  }
  let counted: { attempt: number; lock: LockState | null } | null;
  try {
    counted = await ctx.db.transaction().execute(async (trx) => {
      const failure = await takeFailure(ctx, trx, owner);
      if (!failure) throw new LimitReached();
      const attempt = await stateStore.takeChallengeAttempt(trx, pending.idHash, 'sign_in', CHALLENGE_MAX_WRONG, nowISO);
      if (attempt === null) throw new LimitReached();
      // The audit chain's head last: every transaction appends there as its final write.
      await announceCodeFailure(ctx, trx, account, meta, 'totp', failure.failures, failure.lock, now);
      return { attempt, lock: lockSetBy(failure) };
    });
  } catch (error) {
    if (!(error instanceof LimitReached)) throw error;
    counted = null;
  }
  if (!counted) return explainLimit(ctx, pending, owner);
  if (counted.lock) throwIfLocked(ctx, counted.lock);
  throw wrongCode(counted.attempt);
}

/** A limit met where the code would have been judged or committed. */
class LimitReached extends Error {}

/** A right code of a TOTP step already used: a replay, counted as a wrong code. */
class TOTPReplay extends Error {}

/** Refuses a try at the sign-in's limits as they stand now: see refuseAtLimit. */
async function refuseWhenLimitReached(ctx: Context, pending: SessionRow, owner: Owner): Promise<void> {
  refuseAtLimit(ctx, await stateStore.signInLimits(ctx.db, pending.idHash, owner));
}

/**
 * Refuses, before its code is judged, a try whose challenge is used up (429) or gone (401: a
 * racing request completed or ended the sign-in), or whose account is locked (429).
 */
function refuseAtLimit<L extends stateStore.SignInLimits>(ctx: Context, limits: L | null): asserts limits is L {
  if (limits === null) throw new AppError('unauthenticated', 'This sign-in has already been completed or ended');
  if (limits.attempts >= CHALLENGE_MAX_WRONG) throw challengeLocked('sign_in');
  throwIfLocked(ctx, lockStateOf(ctx, limits.state));
}

/** The answer to a request whose commit found a limit reached: the limit, as it stands now. */
async function explainLimit(ctx: Context, pending: SessionRow, owner: Owner): Promise<never> {
  await refuseWhenLimitReached(ctx, pending, owner);
  // The limit was lifted again in between (a lock that just ran out, or staff unlocking).
  throw new AppError('conflict', 'The sign-in changed while this code was checked: enter a new code');
}

/** A refused code, with the check to audit it as (the method, or why a right key was refused). */
interface Refused {
  refused: string;
}

/** The audit `check` of a refused answer: a passkey whose counter did not go up is told apart. */
function refusedAs(input: SecondFactorInput, result?: CheckResult): string {
  return result && !result.ok && result.reason ? `${input.method}:${result.reason}` : input.method;
}

/**
 * Judges the code of a try already taken (any method but an authenticator code): the new
 * session when it is right, why not when wrong.
 */
async function judgeSecondStep(
  ctx: Context,
  pending: SessionRow,
  account: Account,
  input: SecondFactorInput & { rememberDevice?: boolean },
  meta: RequestMeta,
  check: CodeCheck,
): Promise<VerifyOutcome | Refused> {
  const wrong: Refused = { refused: input.method };
  const enrollmentRequired = check.state.enrollment_required === 1;
  if (input.method === 'temporary_code') {
    // The code is taken in the transaction of the enrollment-only session it opens, and names
    // that session: only an enrollment there retires the factors of the code's issue. A wrong
    // code costs a read; a right one that a racing sign-in took first rolls this one back.
    // On PostgreSQL the rows go in the order every transaction of this person takes them: the
    // MFA state (its failures cleared), the challenge and the session (as a reset: MFA state,
    // sessions, codes), then the code's row, and the audit chain's head last. So the code is
    // taken as soon as the new session's id is known, before any audit entry: every transaction
    // that voids a code (a newer code, the owner's "it was not me", a cancelled scheduled code,
    // the issuer's deactivation, a token's revocation) writes the code's row and then appends,
    // and with the head taken first a sign-in and a void deadlocked (one answered 409).
    const codeID = await findUsableTemporaryCode(ctx, account, input.code);
    if (!codeID) return wrong;
    try {
      return await ctx.db.transaction().execute(async (trx) => {
        await passTakenCheck(ctx, trx, pending, check);
        const outcome = await completeSecondStep(ctx, trx, pending, account, input, meta, { method: 'temporary_code', factorID: null }, enrollmentRequired, {
          spend: async (session) => {
            if (!(await takeTemporaryCode(ctx, trx, account, codeID, session.session.idHash))) throw new Spent();
          },
        });
        await announceTemporaryCodeUse(ctx, trx, account, meta);
        return outcome;
      });
    } catch (error) {
      if (error instanceof Spent) return wrong;
      throw error;
    }
  }
  const result = await checkSecondFactor(ctx, account, input, { sessionHash: pending.idHash, purpose: 'sign_in' }, meta);
  if (!result.ok) return { refused: refusedAs(input, result) };
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      await spendInOrder(trx, result, () => passTakenCheck(ctx, trx, pending, check));
      return completeSecondStep(ctx, trx, pending, account, input, meta, result, enrollmentRequired, { announce: result.announce });
    });
  } catch (error) {
    // A racing request spent the same recovery code or passkey counter first.
    if (error instanceof Spent) return wrong;
    throw error;
  }
}

/**
 * Spends a passed check's answer in the order every transaction of this person takes its rows
 * (factor, MFA state, then recovery codes; resets do the same): a factor's write (TOTP step,
 * passkey counter) before `stateWrites`, a recovery code after them. Throws Spent when a
 * racing request spent it first.
 */
async function spendInOrder(trx: Executor, result: Extract<CheckResult, { ok: true }>, stateWrites: () => Promise<void>): Promise<void> {
  const onFactor = result.method !== 'recovery_code';
  if (onFactor && !(await result.spend(trx))) throw new Spent();
  await stateWrites();
  if (!onFactor && !(await result.spend(trx))) throw new Spent();
}

/** Ends a taken check and try with a right answer: failures forgotten, the challenge gone. */
async function passTakenCheck(ctx: Context, trx: Executor, pending: SessionRow, check: CodeCheck): Promise<void> {
  // Wrong codes are forgotten on success, and so is the check this code took.
  await clearCodeFailures(ctx, trx, check.owner, check);
  await stateStore.deleteChallenges(trx, pending.idHash);
}

/** What a right answer would have spent was spent by a racing request first. */
class Spent extends Error {}

function challengeLocked(purpose: 'sign_in' | 'step_up'): AppError {
  return purpose === 'sign_in'
    ? new AppError('challenge_locked', 'Too many wrong codes for this sign-in: sign in again with your password')
    : new AppError('challenge_locked', 'Too many wrong codes: sign out and sign in again');
}

/**
 * Takes one try of the session's challenge (one conditional write, committed on its own), or
 * throws: 429 `challenge_locked` when its tries are used up, 401 when a racing request already
 * completed or ended the session. Returns the try's number.
 */
async function takeChallengeAttempt(ctx: Context, session: SessionRow, purpose: 'sign_in' | 'step_up'): Promise<number> {
  const attempt = await stateStore.takeChallengeAttempt(ctx.db, session.idHash, purpose, CHALLENGE_MAX_WRONG, ctx.clock.now().toISOString());
  if (attempt !== null) return attempt;
  if (((await stateStore.challengeAttempts(ctx.db, session.idHash, purpose)) ?? 0) >= CHALLENGE_MAX_WRONG) throw challengeLocked(purpose);
  throw new AppError('unauthenticated', purpose === 'sign_in' ? 'This sign-in has already been completed or ended' : 'This session has ended');
}

/**
 * Takes the challenge's try, then the account's check, each by one conditional write committed
 * on its own (never in the sign-in's transaction, so rolling a sign-in back never gives them
 * back). The challenge first: requests beyond its 5 tries are refused before they could touch
 * the account's count (taken the other way round, 30 parallel wrong codes locked the account).
 * No transaction around the two: it saved nothing measurable on SQLite (752 against 749-757 µs
 * of server CPU per verification) and could deadlock on PostgreSQL against a passed second
 * step, which writes the rows in the other order.
 */
async function takeTries(ctx: Context, session: SessionRow, account: Account, purpose: 'sign_in' | 'step_up'): Promise<{ attempt: number; check: CodeCheck }> {
  const attempt = await takeChallengeAttempt(ctx, session, purpose);
  return { attempt, check: await takeCodeCheck(ctx, account) };
}

/** Gives back the try and the check of a request that failed before its code was judged. */
async function returnTries(ctx: Context, session: SessionRow, purpose: 'sign_in' | 'step_up', attempt: number, check: CodeCheck): Promise<void> {
  await stateStore.returnChallengeAttempt(ctx.db, session.idHash, purpose, attempt);
  await returnCodeCheck(ctx, check);
}

/**
 * A passed second step, inside the sign-in's transaction and after its limits' writes: new
 * session, what the answer spends that needs the new session's id (`spend`, a temporary code:
 * right after the session, before the audit chain's head), remembered device, what the spend
 * tells (`announce`), audit entry (the audit chain's head is every transaction's last write).
 */
async function completeSecondStep(
  ctx: Context,
  trx: Executor,
  pending: SessionRow,
  account: Account,
  input: { rememberDevice?: boolean },
  meta: RequestMeta,
  result: { method: SecondFactorInput['method']; factorID: string | null },
  enrollmentRequired: boolean,
  steps: { spend?: (session: NewSession) => Promise<void>; announce?: (trx: Executor) => Promise<void> } = {},
): Promise<VerifyOutcome> {
  const enrollOnly = result.method === 'temporary_code' || enrollmentRequired;
  const session = await sessions.rotateSession(ctx, trx, pending, enrollOnly ? 'enrollment' : 'full', meta, { stepUp: true });
  await steps.spend?.(session);
  let rememberCookie: VerifyOutcome['rememberCookie'];
  // The settings matter only when this browser asks to be remembered.
  if (!enrollOnly && input.rememberDevice && account.kind === 'contact') {
    // Held, so that a shorter period committed meanwhile cannot miss the device stored here.
    const settings = await getSettingsHeld(ctx, trx);
    if (settings.rememberDeviceDays > 0 && settings.policy !== 'off') rememberCookie = await rememberDevice(ctx, trx, account, settings.rememberDeviceDays, meta);
  }
  await steps.announce?.(trx);
  await appendAuditEvent(ctx, trx, {
    actor: { type: account.kind, id: account.id },
    action: enrollOnly ? 'auth.login.enrollment_only' : 'auth.login.succeeded',
    ...(account.kind === 'contact' ? { contactID: account.id } : { staffID: account.id }),
    meta,
    details: { secondStep: result.method, ...(result.factorID ? { factorId: result.factorID } : {}), rememberedDevice: rememberCookie !== undefined },
  });
  return { session, state: enrollOnly ? 'enrollment_required' : 'authenticated', rememberCookie };
}

/**
 * A step-up: the second step again on a full session, so that the next 5 minutes can change
 * MFA (or, for staff, act on others). Remembered devices and temporary codes never count.
 * Passing it renews the session id (see sessions.renewForStepUp): the answer is the new session.
 */
export async function stepUp(ctx: Context, session: SessionRow, account: Account, input: SecondFactorInput, meta: RequestMeta): Promise<NewSession> {
  if (input.method === 'temporary_code') throw new AppError('invalid_input', 'A temporary access code cannot be used for a step-up');
  if ((await store.countActiveFactors(ctx.db, ownerOf(account))) === 0) throw new AppError('conflict', 'Set up a second factor first');
  // As for a sign-in: the try and the check are taken before the code is judged.
  const { attempt, check } = await takeTries(ctx, session, account, 'step_up');
  let result: CheckResult;
  try {
    result = await checkSecondFactor(ctx, account, input, { sessionHash: session.idHash, purpose: 'step_up' }, meta);
    if (result.ok) {
      const passed = result;
      return await ctx.db.transaction().execute(async (trx) => {
        await spendInOrder(trx, passed, async () => {
          await clearCodeFailures(ctx, trx, check.owner, check);
          await trx.deleteFrom('mfa_challenges').where('session_hash', '=', session.idHash).where('purpose', '=', 'step_up').execute();
        });
        const renewed = await sessions.renewForStepUp(ctx, trx, session, meta);
        await stateStore.moveChallenges(trx, session.idHash, renewed.session.idHash);
        await passed.announce(trx);
        await appendAuditEvent(ctx, trx, {
          actor: { type: account.kind, id: account.id },
          action: 'mfa.step_up.succeeded',
          ...(account.kind === 'contact' ? { contactID: account.id } : { staffID: account.id }),
          meta,
          details: { method: passed.method },
        });
        return renewed;
      });
    }
  } catch (error) {
    // A racing request spent the same answer first: a wrong code, as one after the other.
    if (error instanceof Spent) result = { ok: false };
    else {
      await returnTries(ctx, session, 'step_up', attempt, check);
      throw error;
    }
  }
  const lock = await confirmCodeFailure(ctx, account, meta, `step_up:${refusedAs(input, result)}`, check);
  if (lock) throwIfLocked(ctx, lock);
  throw new AppError('invalid_code', `That code did not work; ${Math.max(0, CHALLENGE_MAX_WRONG - attempt)} tries left`, { attemptsLeft: Math.max(0, CHALLENGE_MAX_WRONG - attempt) });
}
