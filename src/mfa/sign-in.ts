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
import { ownerOf } from './lockout.js';
import { isRememberedDevice } from './remembered-devices.js';
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
async function availableMethods(db: Executor, account: Account, factors: store.Factor[]): Promise<string[]> {
  const owner = ownerOf(account);
  const methods: string[] = [];
  if (factors.some((f) => f.type === 'totp')) methods.push('totp');
  if (factors.some((f) => f.type === 'webauthn')) methods.push('webauthn');
  if (factors.length && (await store.countUnusedRecoveryCodes(db, owner)) > 0) methods.push('recovery_code');
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
export async function levelAfterPassword(ctx: Context, account: Account, rememberedDeviceToken?: string, db: Executor = ctx.db): Promise<SecondStepDecision> {
  const settings = await getSettings(ctx, db);
  // Under `off` no customer is asked for a second step and enrollment is hidden (PRODUCT.md
  // §3): not for their factors, and not for a setup staff required or a temporary code either,
  // which could only lead to an enrollment `off` refuses. What staff asked stands again once
  // the policy is back on. Staff always use their factors.
  if (account.kind === 'contact' && settings.policy === 'off') return { level: 'full' };
  const owner = ownerOf(account);
  const state = await stateStore.findMFAAccount(db, owner);
  // One read of the active factors serves the count and the methods offered.
  const factors = await store.listFactors(db, owner);
  const factorCount = factors.length;
  const temporary = await hasOutstandingTemporaryCode(ctx, account, db);
  if (factorCount > 0) {
    const enrollmentRequired = state?.enrollment_required === 1;
    if (!enrollmentRequired && account.kind === 'contact' && (await isRememberedDevice(ctx, db, account, rememberedDeviceToken, settings.rememberDeviceDays))) {
      return { level: 'full', skippedBy: 'remembered_device' };
    }
    const methods = await availableMethods(db, account, factors);
    return { level: 'mfa', methods: temporary ? [...methods, 'temporary_code'] : methods };
  }
  if (state?.setup_required === 1) return { level: 'mfa', methods: ['setup_link', 'temporary_code'] };
  // Without a factor there is no second step for a temporary code to stand in for: one left
  // over (its factors removed since) asks for nothing, and the next enrollment voids it.
  if (mustHaveMFA(account, settings.policy)) return { level: 'enrollment' };
  return { level: 'full' };
}

/**
 * The password step's decision, made in the transaction that starts the session, holding the
 * person's MFA state (stateStore.holdMFAStateForSignIn): a reset, a required setup, a removal
 * by staff or by the person then comes wholly before or wholly after the decision and its
 * session. Decided before the transaction, a reset committing in between was missed: a
 * remembered device it had just forgotten still opened a full session.
 */
export async function decideLevelInTransaction(
  ctx: Context,
  trx: Executor,
  account: Account,
  rememberedDeviceToken: string | undefined,
  current: () => Promise<Account | null>,
): Promise<{ decision: SecondStepDecision; account: Account } | null> {
  await stateStore.holdMFAStateForSignIn(trx, ctx.dialect, ownerOf(account), ctx.clock.now().toISOString());
  // The person as they stand now (a racing deactivation or role change comes wholly before or
  // after): null when they can no longer sign in.
  const person = await current();
  if (!person || !person.active) return null;
  return { decision: await levelAfterPassword(ctx, person, rememberedDeviceToken, trx), account: person };
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

const INVALID_SETUP_LINK = 'This setup link is not valid, was used already, or belongs to another account';

/**
 * The emailed setup link after a staff reset (API.md): in a sign-in that passed the password,
 * the link's single-use token moves the session to enrollment-only. The password alone never
 * does, and the link alone (without the password) never does either. A link counts only while
 * the reset that sent it still asks for a setup: one that outlived it (issued as an enrollment
 * finished, say) would otherwise let whoever holds the mailbox and the password add a factor
 * without passing the second step. The person's MFA lock comes first, before the token's row,
 * as in an enrollment (which voids the links under that lock), so the two never deadlock.
 */
export async function useSetupLink(ctx: Context, pending: SessionRow, account: Account, token: string, meta: RequestMeta): Promise<NewSession> {
  return ctx.db.transaction().execute(async (trx) => {
    const owner = ownerOf(account);
    if (ctx.dialect === 'postgres') await store.takeMFAAdvisoryLock(trx, owner);
    const state = await stateStore.findMFAAccount(trx, owner);
    if (state?.setup_required !== 1) throw new AppError('invalid_token', INVALID_SETUP_LINK);
    const t = await consumeEmailToken(ctx, trx, 'mfa_setup', token);
    if (!t || t.subjectKind !== account.kind || t.subjectID !== account.id) throw new AppError('invalid_token', INVALID_SETUP_LINK);
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
