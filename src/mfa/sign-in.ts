import type { Context, RequestMeta } from '../context.js';
import type { Executor } from '../db/index.js';
import { AppError } from '../http/errors.js';
import { appendAuditEvent } from '../audit/service.js';
import type { Account } from '../accounts/store.js';
import * as sessions from '../sessions/service.js';
import type { NewSession, SessionLevel, SessionRow } from '../sessions/service.js';
import { getSettings } from '../settings/service.js';
import * as store from './store.js';
import * as stateStore from './state-store.js';
import { CHALLENGE_MAX_WRONG, clearCodeFailures, confirmCodeFailure, ownerOf, returnCodeCheck, takeCodeCheck, throwIfLocked, type CodeCheck } from './lockout.js';
import { checkSecondFactor, consumeTOTPMatch, findTOTPMatch, type CheckResult, type SecondFactorInput } from './factor-check.js';
import { isRememberedDevice, rememberDevice } from './remembered-devices.js';
import { authenticationOptions } from './webauthn.js';
import { MINUTE } from '../clock.js';
import { consumeEmailToken } from '../accounts/email-tokens.js';
import { findUsableTemporaryCode, hasOutstandingTemporaryCode, takeTemporaryCode } from './temporary-codes.js';

/** What the password step leads to: a full session, a second step, or enrollment first. */
export interface SecondStepDecision {
  level: SessionLevel;
  /** The ways the pending second step can be passed (API.md `methods`). */
  methods?: string[];
  /** Why no second step was asked for although the account has factors. */
  skippedBy?: 'remembered_device';
}

/** Supervisors and admins can change other people's MFA, so they must use MFA themselves. */
export function mustHaveMFA(account: Account, policy: 'off' | 'optional' | 'required'): boolean {
  if (account.kind === 'staff') return account.role === 'supervisor' || account.role === 'admin';
  return policy === 'required';
}

/** The methods a person can pass the second step with, from their active factors. */
async function availableMethods(ctx: Context, account: Account, factors: store.Factor[]): Promise<string[]> {
  const owner = ownerOf(account);
  const methods: string[] = [];
  if (factors.some((f) => f.type === 'totp')) methods.push('totp');
  if (factors.some((f) => f.type === 'webauthn')) methods.push('webauthn');
  if (factors.length && (await store.countUnusedRecoveryCodes(ctx.db, owner)) > 0) methods.push('recovery_code');
  return methods;
}

/**
 * Decides the session level after a correct password (PRODUCT.md §3, API.md sign-in states):
 * - under policy `off`, a customer is in with the password alone;
 * - a person with factors gets the second step, unless this browser is a remembered device
 *   and staff have not required a new enrollment;
 * - after a staff reset with setup required, the password alone never enrolls: only the
 *   emailed setup link or a temporary code lead on;
 * - a person who must have MFA (policy `required`, or supervisor/admin staff) and has none
 *   enrolls first; everyone else is in.
 */
export async function levelAfterPassword(ctx: Context, account: Account, rememberedDeviceToken?: string): Promise<SecondStepDecision> {
  const settings = await getSettings(ctx);
  // Under `off` no customer is asked for a second step and enrollment is hidden (PRODUCT.md
  // §3): not for their factors, and not for a setup staff required or a temporary code either,
  // which could only lead to an enrollment `off` refuses. What staff asked stands again once
  // the policy is back on. Staff always use their factors.
  if (account.kind === 'contact' && settings.policy === 'off') return { level: 'full' };
  const owner = ownerOf(account);
  const state = await stateStore.findMFAAccount(ctx.db, owner);
  // One read of the active factors serves the count and the methods offered.
  const factors = await store.listFactors(ctx.db, owner);
  const factorCount = factors.length;
  const temporary = await hasOutstandingTemporaryCode(ctx, account);
  if (factorCount > 0) {
    const enrollmentRequired = state?.enrollment_required === 1;
    if (!enrollmentRequired && account.kind === 'contact' && (await isRememberedDevice(ctx, account, rememberedDeviceToken, settings.rememberDeviceDays))) {
      return { level: 'full', skippedBy: 'remembered_device' };
    }
    const methods = await availableMethods(ctx, account, factors);
    return { level: 'mfa', methods: temporary ? [...methods, 'temporary_code'] : methods };
  }
  if (state?.setup_required === 1) return { level: 'mfa', methods: ['setup_link', 'temporary_code'] };
  if (temporary) return { level: 'mfa', methods: ['temporary_code'] };
  if (mustHaveMFA(account, settings.policy)) return { level: 'enrollment' };
  return { level: 'full' };
}

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

/** WebAuthn request options for a pending sign-in or a step-up; the challenge is stored single-use. */
export async function webauthnChallengeFor(ctx: Context, session: SessionRow, account: Account, purpose: 'sign_in' | 'step_up') {
  const factors = (await store.listFactors(ctx.db, ownerOf(account))).filter((f) => f.type === 'webauthn');
  if (!factors.length) throw new AppError('conflict', 'This account has no passkey or security key');
  const options = await authenticationOptions(ctx.config, factors);
  if (!(await stateStore.putChallenge(ctx.db, session.idHash, purpose, options.challenge, new Date(ctx.clock.now().getTime() + 5 * MINUTE).toISOString()))) {
    throw new AppError('unauthenticated', 'This sign-in has already been completed or ended');
  }
  return options;
}

/**
 * Opens the second step of a sign-in whose password step starts a pending session, in that
 * step's transaction: the challenge row its 5 tries are taken from.
 */
export async function openSecondStep(trx: Executor, pending: SessionRow): Promise<void> {
  await stateStore.openSignInChallenge(trx, pending.idHash, pending.expiresAt);
}

/**
 * Deletes challenge rows an hour past their expiry (housekeeping); returns how many went. A
 * step-up's row stays while its session lives, though: it holds the session's 5 tries, and
 * its expiry is that of its latest passkey challenge (5 minutes), so deleting it an hour later
 * gave a session whose step-up was locked 5 new tries. It goes once the session has ended.
 */
export function purgeExpiredChallenges(ctx: Context): Promise<number> {
  const now = ctx.clock.now();
  return stateStore.purgeExpiredChallenges(ctx.db, new Date(now.getTime() - 60 * MINUTE).toISOString(), now.toISOString());
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

/**
 * The emailed setup link after a staff reset (API.md): in a sign-in that passed the password,
 * the link's single-use token moves the session to enrollment-only. The password alone never
 * does, and the link alone (without the password) never does either.
 */
export async function useSetupLink(ctx: Context, pending: SessionRow, account: Account, token: string, meta: RequestMeta): Promise<NewSession> {
  return ctx.db.transaction().execute(async (trx) => {
    const t = await consumeEmailToken(ctx, trx, 'mfa_setup', token);
    if (!t || t.subjectKind !== account.kind || t.subjectID !== account.id) throw new AppError('invalid_token', 'This setup link is not valid, was used already, or belongs to another account');
    const session = await sessions.rotateSession(ctx, trx, pending, 'enrollment', meta, { stepUp: true });
    await appendAuditEvent(ctx, trx, {
      actor: { type: account.kind, id: account.id },
      action: 'mfa.setup_link.used',
      ...(account.kind === 'contact' ? { contactID: account.id } : { staffID: account.id }),
      meta,
    });
    return session;
  });
}
