import type { Context, RequestMeta } from '../context.js';
import type { Executor } from '../db/index.js';
import { AppError } from '../http/errors.js';
import { appendAuditEvent } from '../audit/service.js';
import type { Account } from '../accounts/store.js';
import * as sessions from '../sessions/service.js';
import type { NewSession, SessionRow } from '../sessions/service.js';
import { getSettings } from '../settings/service.js';
import * as store from './store.js';
import * as stateStore from './state-store.js';
import { CHALLENGE_MAX_WRONG, clearCodeFailures, confirmCodeFailure, ownerOf, returnCodeCheck, takeCodeCheck, throwIfLocked, type CodeCheck } from './lockout.js';
import { checkSecondFactor, consumeTOTPMatch, findTOTPMatch, type CheckResult, type SecondFactorInput } from './factor-check.js';
import { rememberDevice } from './remembered-devices.js';
import { findUsableTemporaryCode, takeTemporaryCode } from './temporary-codes.js';

export interface VerifyOutcome {
  session: NewSession;
  state: 'authenticated' | 'enrollment_required';
  rememberCookie?: { token: string; maxAgeSeconds: number };
}

/**
 * Passes (or fails) the pending second step of a sign-in. A challenge allows 5 wrong codes and
 * every wrong code also counts against the account; success starts a new session (new id) with
 * a fresh step-up, or an enrollment-only one after a temporary code or when staff required a
 * new enrollment.
 *
 * Both limits are decided before the code is judged: a request first takes a try from the
 * challenge, then a check from the account, each by one conditional write, and is refused
 * (429, its code unchecked) when either has none left. So requests in flight together get no
 * more codes judged than the same requests one after the other. A wrong code keeps both; a
 * right one clears the account's run of failures; a request that fails before its code is
 * judged gives both back.
 */
export async function verifySecondStep(
  ctx: Context,
  pending: SessionRow,
  account: Account,
  input: SecondFactorInput & { rememberDevice?: boolean },
  meta: RequestMeta,
): Promise<VerifyOutcome> {
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
  if (attempt >= CHALLENGE_MAX_WRONG) throw challengeLocked('sign_in');
  throw new AppError('invalid_code', `That code did not work; ${CHALLENGE_MAX_WRONG - attempt} tries left for this sign-in`, { attemptsLeft: CHALLENGE_MAX_WRONG - attempt });
}

/** A refused code, with the check to audit it as (the method, or why a right key was refused). */
interface Refused {
  refused: string;
}

/** The audit `check` of a refused answer: a passkey whose counter did not go up is told apart. */
function refusedAs(input: SecondFactorInput, result?: CheckResult): string {
  return result && !result.ok && result.reason ? `${input.method}:${result.reason}` : input.method;
}

/** Judges the code of a try already taken: the new session when it is right, why not when wrong. */
async function judgeSecondStep(
  ctx: Context,
  pending: SessionRow,
  account: Account,
  input: SecondFactorInput & { rememberDevice?: boolean },
  meta: RequestMeta,
  check: CodeCheck,
): Promise<VerifyOutcome | Refused> {
  const wrong: Refused = { refused: input.method };
  if (input.method === 'totp') {
    // The TOTP replay guard (a conditional UPDATE of the factor's last step) commits in the
    // same transaction as the session it lets through: one commit instead of two. A replayed
    // step still updates no row, which rolls the sign-in back and counts as a wrong code.
    const now = ctx.clock.now();
    const match = await findTOTPMatch(ctx, account, input.code, now);
    if (!match) return wrong;
    try {
      return await ctx.db.transaction().execute(async (trx) => {
        if (!(await consumeTOTPMatch(trx, match, now.toISOString()))) throw new TOTPReplay();
        return completeSecondStep(ctx, trx, pending, account, input, meta, { method: 'totp', factorID: match.factorID }, check);
      });
    } catch (error) {
      if (error instanceof TOTPReplay) return wrong;
      throw error;
    }
  }
  if (input.method === 'temporary_code') {
    // The code is taken in the transaction of the enrollment-only session it opens, and names
    // that session: only an enrollment there retires the factors of the code's issue. A wrong
    // code costs a read; a right one that a racing sign-in took first rolls this one back.
    const codeID = await findUsableTemporaryCode(ctx, account, input.code);
    if (!codeID) return wrong;
    try {
      return await ctx.db.transaction().execute(async (trx) => {
        const outcome = await completeSecondStep(ctx, trx, pending, account, input, meta, { method: 'temporary_code', factorID: null }, check);
        if (!(await takeTemporaryCode(ctx, trx, account, codeID, outcome.session.session.idHash, meta))) throw new CodeTaken();
        return outcome;
      });
    } catch (error) {
      if (error instanceof CodeTaken) return wrong;
      throw error;
    }
  }
  const result = await checkSecondFactor(ctx, account, input, { sessionHash: pending.idHash, purpose: 'sign_in' }, meta);
  if (!result.ok) return { refused: refusedAs(input, result) };
  return ctx.db.transaction().execute((trx) => completeSecondStep(ctx, trx, pending, account, input, meta, result, check));
}

class TOTPReplay extends Error {}
class CodeTaken extends Error {}

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
  if ((await stateStore.challengeAttempts(ctx.db, session.idHash, purpose)) >= CHALLENGE_MAX_WRONG) throw challengeLocked(purpose);
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

/** A passed second step, inside the sign-in's transaction: new session, audit entry. */
async function completeSecondStep(
  ctx: Context,
  trx: Executor,
  pending: SessionRow,
  account: Account,
  input: { rememberDevice?: boolean },
  meta: RequestMeta,
  result: { method: SecondFactorInput['method']; factorID: string | null },
  check: CodeCheck,
): Promise<VerifyOutcome> {
  const enrollOnly = result.method === 'temporary_code' || check.state.enrollment_required === 1;
  // Wrong codes are forgotten on success, and so is the check this code took.
  await clearCodeFailures(ctx, trx, check.owner, check);
  await stateStore.deleteChallenges(trx, pending.idHash);
  const session = await sessions.rotateSession(ctx, trx, pending, enrollOnly ? 'enrollment' : 'full', meta, { stepUp: true });
  let rememberCookie: VerifyOutcome['rememberCookie'];
  // The settings matter only when this browser asks to be remembered.
  if (!enrollOnly && input.rememberDevice && account.kind === 'contact') {
    const settings = await getSettings(ctx, trx);
    if (settings.rememberDeviceDays > 0 && settings.policy !== 'off') rememberCookie = await rememberDevice(ctx, trx, account, settings.rememberDeviceDays, meta);
  }
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
 */
export async function stepUp(ctx: Context, session: SessionRow, account: Account, input: SecondFactorInput, meta: RequestMeta): Promise<void> {
  if (input.method === 'temporary_code') throw new AppError('invalid_input', 'A temporary access code cannot be used for a step-up');
  if ((await store.countActiveFactors(ctx.db, ownerOf(account))) === 0) throw new AppError('conflict', 'Set up a second factor first');
  // As for a sign-in: the try and the check are taken before the code is judged.
  const { attempt, check } = await takeTries(ctx, session, account, 'step_up');
  let result: CheckResult;
  try {
    result = await checkSecondFactor(ctx, account, input, { sessionHash: session.idHash, purpose: 'step_up' }, meta);
    if (result.ok) {
      const { method } = result;
      await ctx.db.transaction().execute(async (trx) => {
        await clearCodeFailures(ctx, trx, check.owner, check);
        await trx.deleteFrom('mfa_challenges').where('session_hash', '=', session.idHash).where('purpose', '=', 'step_up').execute();
        await sessions.recordStepUp(ctx, trx, session);
        await appendAuditEvent(ctx, trx, {
          actor: { type: account.kind, id: account.id },
          action: 'mfa.step_up.succeeded',
          ...(account.kind === 'contact' ? { contactID: account.id } : { staffID: account.id }),
          meta,
          details: { method },
        });
      });
    }
  } catch (error) {
    await returnTries(ctx, session, 'step_up', attempt, check);
    throw error;
  }
  if (result.ok) return;
  const lock = await confirmCodeFailure(ctx, account, meta, `step_up:${refusedAs(input, result)}`, check);
  if (lock) throwIfLocked(ctx, lock);
  throw new AppError('invalid_code', `That code did not work; ${Math.max(0, CHALLENGE_MAX_WRONG - attempt)} tries left`, { attemptsLeft: Math.max(0, CHALLENGE_MAX_WRONG - attempt) });
}

