import type { Context, RequestMeta } from '../context.js';
import type { Executor } from '../db/index.js';
import { AppError } from '../http/errors.js';
import { appendAuditEvent } from '../audit/service.js';
import type { Account } from '../accounts/store.js';
import * as sessions from '../sessions/service.js';
import type { NewSession, SessionLevel, SessionRow } from '../sessions/service.js';
import { getSettings } from '../settings/service.js';
import * as store from './store.js';
import { assertNotLocked, CHALLENGE_MAX_WRONG, clearCodeFailures, lockStateOf, ownerOf, recordCodeFailure, throwIfLocked } from './lockout.js';
import { checkSecondFactor, consumeTOTPMatch, findTOTPMatch, type SecondFactorInput } from './factor-check.js';
import { isRememberedDevice, rememberDevice } from './remembered-devices.js';
import { authenticationOptions } from './webauthn.js';
import { MINUTE } from '../clock.js';
import { consumeEmailToken } from '../accounts/email-tokens.js';
import { hasOutstandingTemporaryCode } from './temporary-codes.js';

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
 * - a person with factors gets the second step, unless this browser is a remembered device
 *   and staff have not required a new enrollment;
 * - after a staff reset with setup required, the password alone never enrolls: only the
 *   emailed setup link or a temporary code lead on;
 * - a person who must have MFA (policy `required`, or supervisor/admin staff) and has none
 *   enrolls first; everyone else is in.
 */
export async function levelAfterPassword(ctx: Context, account: Account, rememberedDeviceToken?: string): Promise<SecondStepDecision> {
  const settings = await getSettings(ctx);
  const owner = ownerOf(account);
  const state = await store.findMFAAccount(ctx.db, owner);
  // One read of the active factors serves the count and the methods offered.
  const factors = await store.listFactors(ctx.db, owner);
  const factorCount = factors.length;
  const temporary = await hasOutstandingTemporaryCode(ctx, account);
  // The policy is the help center's; staff who have factors always use them.
  const mfaOn = account.kind === 'staff' || settings.policy !== 'off';
  if (factorCount > 0 && mfaOn) {
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
 */
export async function verifySecondStep(
  ctx: Context,
  pending: SessionRow,
  account: Account,
  input: SecondFactorInput & { rememberDevice?: boolean },
  meta: RequestMeta,
): Promise<VerifyOutcome> {
  if ((await store.challengeAttempts(ctx.db, pending.idHash, 'sign_in')) >= CHALLENGE_MAX_WRONG) {
    throw new AppError('challenge_locked', 'Too many wrong codes for this sign-in: sign in again with your password');
  }
  // One read of the account's MFA state serves both the lock check and the enrollment flag.
  const state = await store.findMFAAccount(ctx.db, ownerOf(account));
  throwIfLocked(ctx, lockStateOf(ctx, state));
  const now = ctx.clock.now();
  if (input.method === 'totp') {
    // The TOTP replay guard (a conditional UPDATE of the factor's last step) commits in the
    // same transaction as the session it lets through: one commit instead of two. A replayed
    // step still updates no row, which rolls the sign-in back and counts as a wrong code.
    const match = await findTOTPMatch(ctx, account, input.code, now);
    if (match) {
      try {
        return await ctx.db.transaction().execute(async (trx) => {
          if (!(await consumeTOTPMatch(trx, match, now.toISOString()))) throw new TOTPReplay();
          return completeSecondStep(ctx, trx, pending, account, input, meta, { method: 'totp', factorID: match.factorID }, state);
        });
      } catch (error) {
        if (!(error instanceof TOTPReplay)) throw error;
      }
    }
    return failSecondStep(ctx, pending, account, input, meta);
  }
  const result = await checkSecondFactor(ctx, account, input, { sessionHash: pending.idHash, purpose: 'sign_in' }, meta);
  if (!result.ok) return failSecondStep(ctx, pending, account, input, meta);
  return ctx.db.transaction().execute((trx) => completeSecondStep(ctx, trx, pending, account, input, meta, result, state));
}

class TOTPReplay extends Error {}

/** A wrong code: counted against the challenge and the account, outside any transaction. */
async function failSecondStep(ctx: Context, pending: SessionRow, account: Account, input: SecondFactorInput, meta: RequestMeta): Promise<never> {
  const attempts = await store.countChallengeFailure(ctx.db, pending.idHash, 'sign_in', pending.expiresAt);
  const lock = await recordCodeFailure(ctx, account, meta, input.method);
  if (lock) await assertNotLocked(ctx, ownerOf(account));
  if (attempts >= CHALLENGE_MAX_WRONG) throw new AppError('challenge_locked', 'Too many wrong codes for this sign-in: sign in again with your password');
  throw new AppError('invalid_code', `That code did not work; ${CHALLENGE_MAX_WRONG - attempts} tries left for this sign-in`, { attemptsLeft: CHALLENGE_MAX_WRONG - attempts });
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
  state: store.MFAAccount | null,
): Promise<VerifyOutcome> {
  const enrollOnly = result.method === 'temporary_code' || state?.enrollment_required === 1;
  // Wrong codes are forgotten on success; the state read just before says whether there are any.
  if (state && state.failures > 0) await clearCodeFailures(ctx, trx, ownerOf(account));
  await store.deleteChallenges(trx, pending.idHash);
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
  await store.putChallenge(ctx.db, session.idHash, purpose, options.challenge, new Date(ctx.clock.now().getTime() + 5 * MINUTE).toISOString());
  return options;
}

/**
 * A step-up: the second step again on a full session, so that the next 5 minutes can change
 * MFA (or, for staff, act on others). Remembered devices and temporary codes never count.
 */
export async function stepUp(ctx: Context, session: SessionRow, account: Account, input: SecondFactorInput, meta: RequestMeta): Promise<void> {
  if (input.method === 'temporary_code') throw new AppError('invalid_input', 'A temporary access code cannot be used for a step-up');
  if ((await store.countActiveFactors(ctx.db, ownerOf(account))) === 0) throw new AppError('conflict', 'Set up a second factor first');
  if ((await store.challengeAttempts(ctx.db, session.idHash, 'step_up')) >= CHALLENGE_MAX_WRONG) {
    throw new AppError('challenge_locked', 'Too many wrong codes: sign out and sign in again');
  }
  await assertNotLocked(ctx, ownerOf(account));
  const result = await checkSecondFactor(ctx, account, input, { sessionHash: session.idHash, purpose: 'step_up' }, meta);
  if (!result.ok) {
    const attempts = await store.countChallengeFailure(ctx.db, session.idHash, 'step_up', session.expiresAt);
    const lock = await recordCodeFailure(ctx, account, meta, `step_up:${input.method}`);
    if (lock) await assertNotLocked(ctx, ownerOf(account));
    throw new AppError('invalid_code', `That code did not work; ${Math.max(0, CHALLENGE_MAX_WRONG - attempts)} tries left`, { attemptsLeft: Math.max(0, CHALLENGE_MAX_WRONG - attempts) });
  }
  await ctx.db.transaction().execute(async (trx) => {
    await clearCodeFailures(ctx, trx, ownerOf(account));
    await trx.deleteFrom('mfa_challenges').where('session_hash', '=', session.idHash).where('purpose', '=', 'step_up').execute();
    await sessions.recordStepUp(ctx, trx, session);
    await appendAuditEvent(ctx, trx, {
      actor: { type: account.kind, id: account.id },
      action: 'mfa.step_up.succeeded',
      ...(account.kind === 'contact' ? { contactID: account.id } : { staffID: account.id }),
      meta,
      details: { method: result.method },
    });
  });
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
