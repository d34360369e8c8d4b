import type { AuditAction } from '../audit/actions.js';
import { DAY } from '../clock.js';
import type { Context, RequestMeta } from '../context.js';
import type { Executor } from '../db/index.js';
import { AppError } from '../http/errors.js';
import { appendAuditEvent, type Actor } from '../audit/service.js';
import { INCIDENT_NOT_YOU, templates, type Audience, type Circumstances } from '../notify/templates.js';
import { findAccountByID, type Account } from '../accounts/store.js';
import { endEverySession, link } from '../accounts/service.js';
import { issueEmailToken, voidEmailTokens } from '../accounts/email-tokens.js';
import * as sessions from '../sessions/service.js';
import { getSettingsHeld, holdSettings, type Settings } from '../settings/service.js';
import * as mfaStore from '../mfa/store.js';
import * as stateStore from '../mfa/state-store.js';
import { lockState, ownerOf, unlockSecondStep } from '../mfa/lockout.js';
import { forgetRememberedDevices } from '../mfa/remembered-devices.js';
import { issueTemporaryCode, voidTemporaryCodes } from '../mfa/temporary-codes.js';
import { authenticatorName } from '../mfa/webauthn.js';
import { holdActingAuthority } from '../sessions/api-tokens.js';
import { consumeIdentityCheck } from './identity-checks.js';
import { mayActOn } from './who-may-act.js';
import { hasMFAToProtect, listPendingActions, scheduleAction, waitingPeriodApplies, waitingPeriodEnd, whenText, type Scheduled } from './pending-actions.js';

/** How the staff member checked who they were talking to (API.md `verification`). */
export interface Verification {
  method: 'email_code' | 'callback' | 'other' | 'none';
  checkId?: string;
  note?: string;
}

/** Who acts, on whom, why, and how they checked: every toolkit action carries all four. */
export interface StaffAction {
  actor: Actor;
  /**
   * The staff member acting (the owner of the API token that acts), or null (the CLI, the
   * system): an identity check is used only by the staff member who ran it.
   */
  staffID: string | null;
  /** Shown to the customer in emails: "our support team", or "an operator" for the CLI. */
  actorLabel: string;
  target: Account;
  reason: string;
  verification: Verification;
  meta: RequestMeta;
}

function targetColumns(a: Account): { contactID?: string; staffID?: string } {
  return a.kind === 'contact' ? { contactID: a.id } : { staffID: a.id };
}

/**
 * Checks the identity-check rules before an action and returns what the audit entry records.
 * An `email_code` names a confirmed check of this person, used up inside the action's
 * transaction; when the admin setting requires it, a person with factors (or a reset's setup
 * still to do: hasMFAToProtect) can only be acted on after such a check. `settings` are the
 * action's one reading of them (readSettings).
 */
async function applyVerification(ctx: Context, trx: Executor, a: StaffAction, settings: Settings): Promise<Record<string, unknown>> {
  const v = a.verification;
  // A checkId names an emailed-code check (API.md); with another method it would be recorded
  // as if a check had been used, without being confirmed or used up.
  if (v.checkId !== undefined && v.method !== 'email_code') {
    throw new AppError('invalid_input', `verification.checkId goes only with method email_code (a confirmed identity check); with method ${v.method}, leave checkId out and describe the check in verification.note`);
  }
  if (a.actor.type !== 'cli' && settings.requireEmailVerification && v.method !== 'email_code') {
    if (await hasMFAToProtect(trx, ownerOf(a.target))) {
      throw new AppError('verification_required', 'Confirm the customer\'s identity with an emailed code first (identity check)');
    }
  }
  if (v.method === 'email_code') {
    if (!v.checkId || !(await consumeIdentityCheck(ctx, trx, a.target, v.checkId, a.staffID))) {
      throw new AppError('invalid_input', 'verification.checkId must name an identity check you confirmed for this person in the last 30 minutes, not used yet');
    }
  }
  return { method: v.method, ...(v.checkId ? { checkId: v.checkId } : {}), ...(v.note ? { note: v.note.slice(0, 500) } : {}) };
}

/**
 * Takes the person's MFA lock (mfaStore.lockMFAOwner) as the first statement of an action's
 * transaction (after the person's password-reset links, in the one action that voids them:
 * revokeAllSessions), and returns their active factors as they are then: every count or list a
 * toolkit action decides on is read after it, in the transaction that acts.
 *
 * Then whoever acts, as they stand now and held (holdActingAuthority): the staff member, or the
 * API token with its owner and maker. Their rights were checked on a read from before the
 * transaction, and a deactivation, demotion or token revocation racing the action must come
 * wholly before it (refused here: 403, or 401 for a revoked or expired token) or after it
 * (which cancels what they scheduled and voids the codes they issued, pending-actions.ts).
 * Without this, a supervisor deactivated at that moment left a scheduled reset that the
 * waiting period then carried out on their authority, and a token revoked during a request
 * still committed its action.
 */
async function lockTarget(ctx: Context, trx: Executor, a: StaffAction): Promise<mfaStore.Factor[]> {
  const factors = await mfaStore.lockMFAOwner(trx, ctx.dialect, ownerOf(a.target));
  if (a.staffID !== null) {
    const actor = a.actor.type === 'token' ? a.actor : { type: 'staff' as const, id: a.staffID };
    await holdActingAuthority(ctx, trx, actor, (role) => mayActOn(role, a.target.kind), 'act on this account');
  }
  return factors;
}

/**
 * The settings, read once per action, right after lockTarget, and held (getSettingsHeld): the
 * identity-check rule, whether the waiting period applies, how long it is, when a scheduled
 * action falls due and from when a temporary code works all come from this one reading, and a
 * change of the settings comes wholly before the action or after it. Read three times apart, an
 * admin changing the waiting period during an issue gave a code usable after 1 hour while the
 * action and the customer's email said 24. The settings row is held after the person's locks:
 * a settings change takes it first of all and never a person's MFA lock or factors, and the
 * transactions that hold it before people's rows (a bulk batch before its contacts' factors, a
 * second step before the browser it remembers) hold it shared, as this does, so that they and
 * an action never wait for each other on it.
 */
async function readSettings(ctx: Context, trx: Executor): Promise<Settings> {
  return getSettingsHeld(ctx, trx);
}

async function audit(ctx: Context, trx: Executor, a: StaffAction, action: AuditAction, verification: Record<string, unknown> | null, details: Record<string, unknown>): Promise<void> {
  await appendAuditEvent(ctx, trx, { actor: a.actor, action, ...targetColumns(a.target), reason: a.reason, verification, meta: a.meta, details });
}

function notice(ctx: Context, a: StaffAction, subject: string, lines: string[], action?: { label: string; url: string }) {
  return templates.securityNoticeFor(a.target.kind)(a.target.email, subject, lines, { at: ctx.clock.now(), ip: a.meta.ip, userAgent: a.meta.userAgent, actor: a.actorLabel }, action);
}

export const RESET_NOTICE_SUBJECT = 'Your two-step verification was reset';

/** The email of a reset, single or bulk: what went, and the setup link when one is needed. */
export function resetNotice(to: string, c: Circumstances, factorsRemoved: number, setupURL: string | null, incident = false, audience: Audience = 'contact', scheduledAt?: string) {
  return templates.securityNoticeFor(audience)(
    to,
    RESET_NOTICE_SUBJECT,
    [
      // Applied by the waiting period's end, not by a request: which change this is, and since when it was known.
      ...(scheduledAt ? [`This is the change we emailed you about on ${whenText(scheduledAt)}: the waiting period to cancel it is over.`] : []),
      incident
        ? `As a security precaution, our support team reset the two-step verification of every affected account, including yours: ${factorsRemoved} sign-in method${factorsRemoved === 1 ? '' : 's'} and your recovery codes were removed, and you were signed out everywhere.`
        : `Our support team reset the two-step verification of your account: ${factorsRemoved} sign-in method${factorsRemoved === 1 ? '' : 's'} and your recovery codes were removed, and you were signed out everywhere.`,
      ...(setupURL ? ['To sign in again, enter your password and then open this setup link (it works once, within 24 hours) to set up a new authenticator.'] : []),
    ],
    c,
    setupURL ? { label: 'Set up two-step verification', url: setupURL } : undefined,
    incident ? INCIDENT_NOT_YOU : undefined,
  );
}

export const setupPath = (a: { kind: 'contact' | 'staff' }) => (a.kind === 'staff' ? '/admin/setup-mfa' : '/setup-mfa');

export interface ResetResult {
  factorsRemoved: number;
  recoveryCodesRemoved: number;
  rememberedDevicesRemoved: number;
  sessionsRevoked: number;
  enrollmentRequired: boolean;
}

/**
 * Reset MFA (PRODUCT.md §4.1): every factor, recovery code, remembered device and temporary
 * code goes, every session ends, and — with setup required — the password alone can never
 * enroll again: the emailed single-use setup link (24 hours) or a temporary code must.
 * One transaction: two staff resetting at once, or a reset racing an enrollment, end in one
 * of the serial orders.
 */
export async function resetMFA(ctx: Context, a: StaffAction, requireEnrollment: boolean): Promise<ResetResult | Scheduled> {
  return ctx.db.transaction().execute(async (trx) => {
    await lockTarget(ctx, trx, a);
    const settings = await readSettings(ctx, trx);
    const verification = await applyVerification(ctx, trx, a, settings);
    return resetOrSchedule(ctx, trx, a, requireEnrollment, verification, settings);
  });
}

/**
 * Under the person's lock: a reset is scheduled when the waiting period applies, else applied;
 * both decided and scheduled on the action's one reading of the settings (readSettings).
 */
async function resetOrSchedule(ctx: Context, trx: Executor, a: StaffAction, requireEnrollment: boolean, verification: Record<string, unknown>, settings: Settings): Promise<ResetResult | Scheduled> {
  if (await waitingPeriodApplies(trx, a, settings.waitingPeriodHours)) return scheduleAction(ctx, trx, a, 'reset', { requireEnrollment }, verification, settings.waitingPeriodHours);
  return applyReset(ctx, trx, a, requireEnrollment, verification, {});
}

/** The reset itself, inside the caller's transaction (also run when a scheduled reset falls due). */
export async function applyReset(
  ctx: Context,
  trx: Executor,
  a: StaffAction,
  requireEnrollment: boolean,
  verification: Record<string, unknown> | null,
  extraDetails: Record<string, unknown>,
): Promise<ResetResult> {
  const owner = ownerOf(a.target);
  // Already held when a staff member resets, and when a scheduled reset falls due (the runner
  // takes it before the action's row: lockOwnerOfAction); taken again, it stacks.
  await lockTarget(ctx, trx, a);
  const now = ctx.clock.now().toISOString();
  // The MFA state row before the sessions, in the order a passed second step writes them
  // (factor, mfa_accounts, sessions): the other way round, a reset and a sign-in of the same
  // person deadlocked on PostgreSQL, and the sign-in that lost was answered 409 with its
  // recovery code already spent.
  await unlockSecondStep(ctx, trx, owner);
  await stateStore.updateMFAAccount(trx, owner, { setup_required: requireEnrollment ? 1 : 0, enrollment_required: 0, retire_factor_ids: null }, now);
  const factorsRemoved = await mfaStore.deleteFactors(trx, owner);
  const recoveryCodesRemoved = await mfaStore.deleteRecoveryCodes(trx, owner);
  // The settings row before the remembered devices (a staff action holds it already; the runner
  // applying a scheduled reset takes it here), as every writer of several of them holds it.
  await holdSettings(ctx, trx);
  const rememberedDevicesRemoved = await forgetRememberedDevices(ctx, trx, a.target);
  const sessionsRevoked = await endEverySession(ctx, trx, a.target.kind, a.target.id);
  await voidTemporaryCodes(ctx, trx, owner);
  let setupURL: string | null = null;
  if (requireEnrollment) {
    const token = await issueEmailToken(ctx, trx, 'mfa_setup', a.target.kind, a.target.id, DAY);
    setupURL = link(ctx, `${setupPath(a.target)}?token=${token}`);
  } else {
    await voidEmailTokens(ctx, trx, 'mfa_setup', a.target.kind, a.target.id);
  }
  // The address as it stands now, read once this transaction is queued with an email change's
  // (issuing the setup link queues it, see confirmEmailChange): the person was read before the
  // transaction, and a move confirmed since would send the link to the mailbox they left.
  const to = (await findAccountByID(trx, a.target.kind, a.target.id))?.email ?? a.target.email;
  const result = { factorsRemoved, recoveryCodesRemoved, rememberedDevicesRemoved, sessionsRevoked, enrollmentRequired: requireEnrollment };
  await audit(ctx, trx, a, 'mfa.reset', verification, { ...result, ...extraDetails });
  const scheduledAt = typeof extraDetails.scheduledAt === 'string' ? extraDetails.scheduledAt : undefined;
  await ctx.mailer.enqueue(trx, resetNotice(to, { at: ctx.clock.now(), ip: a.meta.ip, userAgent: a.meta.userAgent, actor: a.actorLabel }, factorsRemoved, setupURL, false, a.target.kind, scheduledAt));
  return result;
}

/**
 * Remove one authenticator (PRODUCT.md §4.2). Removing the last one is a reset with setup
 * required (scheduled under a waiting period, §4.10). Whether it is the last one is decided under
 * the person's lock, in the transaction that removes it: two staff removing the last two factors
 * at once end as one removal and then a reset (or a scheduled one), never as two plain removals.
 */
export async function removeFactor(ctx: Context, a: StaffAction, factorID: string, revokeSessions: boolean): Promise<{ factorsRemoved: number; sessionsRevoked: number } | Scheduled> {
  const owner = ownerOf(a.target);
  return ctx.db.transaction().execute(async (trx) => {
    const factors = await lockTarget(ctx, trx, a);
    const settings = await readSettings(ctx, trx);
    const factor = factors.find((f) => f.id === factorID);
    if (!factor) throw new AppError('not_found', 'This person has no factor with this id');
    const verification = await applyVerification(ctx, trx, a, settings);
    if (factors.length === 1) {
      // Without any factor left, a password alone must not enroll a new one: treat it as a reset.
      const r = await resetOrSchedule(ctx, trx, a, true, verification, settings);
      return 'pendingActionId' in r ? r : { factorsRemoved: r.factorsRemoved, sessionsRevoked: r.sessionsRevoked };
    }
    if (!(await mfaStore.deleteFactor(trx, owner, factorID))) throw new AppError('not_found', 'This person has no factor with this id');
    const sessionsRevoked = revokeSessions ? await endEverySession(ctx, trx, a.target.kind, a.target.id) : 0;
    await audit(ctx, trx, a, 'mfa.factor.removed_by_staff', verification, { factorId: factorID, type: factor.type, name: factor.name, sessionsRevoked });
    await ctx.mailer.enqueue(trx, notice(ctx, a, 'A sign-in method was removed from your account', [`Our support team removed "${factor.name}" from your account's two-step verification${sessionsRevoked ? ' and signed you out everywhere' : ''}.`]));
    return { factorsRemoved: 1, sessionsRevoked };
  });
}

/**
 * Require MFA setup at next sign-in (PRODUCT.md §4.3): signs out everywhere, forgets
 * remembered devices, and marks today's factors for retirement once a new one is enrolled.
 */
export async function requireEnrollment(ctx: Context, a: StaffAction): Promise<{ sessionsRevoked: number; rememberedDevicesRemoved: number }> {
  return ctx.db.transaction().execute(async (trx) => {
    const factors = await lockTarget(ctx, trx, a);
    const verification = await applyVerification(ctx, trx, a, await readSettings(ctx, trx));
    const owner = ownerOf(a.target);
    if (!factors.length) throw new AppError('conflict', 'This person has no factor to replace; use Reset MFA with setup required instead');
    await stateStore.updateMFAAccount(trx, owner, { enrollment_required: 1, retire_factor_ids: JSON.stringify(factors.map((f) => f.id)) }, ctx.clock.now().toISOString());
    const sessionsRevoked = await endEverySession(ctx, trx, a.target.kind, a.target.id);
    const rememberedDevicesRemoved = await forgetRememberedDevices(ctx, trx, a.target);
    const result = { sessionsRevoked, rememberedDevicesRemoved };
    await audit(ctx, trx, a, 'mfa.enrollment_required', verification, { ...result, factorsToRetire: factors.length });
    await ctx.mailer.enqueue(
      trx,
      notice(ctx, a, 'Set up two-step verification again at your next sign-in', [
        'Our support team asked you to set up two-step verification again. At your next sign-in, confirm with a method you still have (or a temporary access code from support), then add a new one; your current methods are then removed.',
      ]),
    );
    return result;
  });
}

export async function cancelRequiredEnrollment(ctx: Context, a: StaffAction): Promise<{ cancelled: true }> {
  return ctx.db.transaction().execute(async (trx) => {
    await lockTarget(ctx, trx, a);
    const verification = await applyVerification(ctx, trx, a, await readSettings(ctx, trx));
    const owner = ownerOf(a.target);
    const r = await trx
      .updateTable('mfa_accounts')
      .set({ enrollment_required: 0, retire_factor_ids: null, updated_at: ctx.clock.now().toISOString() })
      .where('owner_kind', '=', owner.kind)
      .where('owner_id', '=', owner.id)
      .where('enrollment_required', '=', 1)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new AppError('not_found', 'No required enrollment is pending for this person');
    await audit(ctx, trx, a, 'mfa.enrollment_required.cancelled', verification, {});
    await ctx.mailer.enqueue(
      trx,
      notice(ctx, a, 'You no longer need to set up two-step verification again', [
        'Our support team cancelled its request that you set up two-step verification again at your next sign-in. Your current sign-in methods stay as they are.',
      ]),
    );
    return { cancelled: true as const };
  });
}

/**
 * Temporary access code (PRODUCT.md §4.4). The code is returned once and appears nowhere else.
 * Under a waiting period the code is issued now but only becomes usable when the period ends,
 * unless the customer cancels it first.
 */
export async function issueTemporaryAccessCode(ctx: Context, a: StaffAction, ttlMinutes: number): Promise<{ code: string; expiresAt: string } | (Scheduled & { code: string; expiresAt: string })> {
  return ctx.db.transaction().execute(async (trx) => {
    const factors = await lockTarget(ctx, trx, a);
    const owner = ownerOf(a.target);
    // A code stands in for a second step (PRODUCT.md §3, §4.4): a person with no factor and no
    // setup required has none, signs in with the password, and enrolls after it if they must.
    // Issued anyway, the code made the owner's password alone stop working until it expired.
    if (!factors.length && (await stateStore.findMFAAccount(trx, owner))?.setup_required !== 1) {
      throw new AppError('conflict', 'This person has no second step for a code to stand in for: they sign in with their password (and set up a method right after it if one is required)');
    }
    const settings = await readSettings(ctx, trx);
    const verification = await applyVerification(ctx, trx, a, settings);
    const hours = settings.waitingPeriodHours;
    if (await waitingPeriodApplies(trx, a, hours)) {
      // One reading of the period and of the time for the code and the action alike: the code
      // works from the moment the action falls due and the customer's email names, not before.
      const now = ctx.clock.now();
      const validFrom = waitingPeriodEnd(now, hours);
      const issued = await issueTemporaryCode(ctx, trx, owner, a.actor.id, ttlMinutes, validFrom);
      const scheduled = await scheduleAction(ctx, trx, a, 'temporary_code', { ttlMinutes, expiresAt: issued.expiresAt }, verification, hours, now);
      // Handed out now, usable when the period ends: the log of issued codes names it too.
      await audit(ctx, trx, a, 'mfa.temporary_code.issued', verification, { expiresAt: issued.expiresAt, ttlMinutes, validFrom, pendingActionId: scheduled.pendingActionId });
      return { ...scheduled, code: issued.code, expiresAt: issued.expiresAt };
    }
    const issued = await issueTemporaryCode(ctx, trx, owner, a.actor.id, ttlMinutes);
    await audit(ctx, trx, a, 'mfa.temporary_code.issued', verification, { expiresAt: issued.expiresAt, ttlMinutes });
    await ctx.mailer.enqueue(
      trx,
      notice(ctx, a, 'A temporary access code was issued for your account', [
        `Our support team issued a temporary access code for your account, valid until ${issued.expiresAt.replace('T', ' ').slice(0, 16)} UTC. It lets you sign in once to set up a new sign-in method; your current methods are then removed.`,
      ]),
    );
    return issued;
  });
}

export async function unlockAccount(ctx: Context, a: StaffAction): Promise<{ unlocked: boolean }> {
  return ctx.db.transaction().execute(async (trx) => {
    // As every toolkit action: the person's MFA lock, then the acting staff member re-checked.
    await lockTarget(ctx, trx, a);
    const verification = await applyVerification(ctx, trx, a, await readSettings(ctx, trx));
    // Read under that lock: of two staff unlocking at once, the second finds the account
    // unlocked already, and only one email tells the customer.
    const unlocked = await unlockSecondStep(ctx, trx, ownerOf(a.target));
    await audit(ctx, trx, a, 'mfa.unlocked', verification, { wasLocked: unlocked });
    // Every toolkit action tells the person (PRODUCT.md §4), one that found nothing to do too:
    // that support was asked to act on their account is itself worth knowing.
    await ctx.mailer.enqueue(
      trx,
      unlocked
        ? notice(ctx, a, 'Two-step verification unlocked', ['Our support team unlocked the second sign-in step of your account.'])
        : notice(ctx, a, 'Our support team checked your two-step verification', ['Our support team was asked to unlock the second sign-in step of your account. It was not locked, so nothing changed.']),
    );
    return { unlocked };
  });
}

/**
 * Sign out everywhere, by support (PRODUCT.md §4): every session ends, and the password-reset
 * links already mailed are voided, as when the person signs out everywhere or changes their
 * password themselves (accounts/service.ts, voidResetLinks). A customer who reports a takeover
 * is signed out everywhere by support: a reset link that whoever reads their mailbox asked for
 * must not then set the password all the same.
 *
 * The reset links are the first rows of the transaction, before the person's MFA lock: every
 * transaction of a person that touches them takes them first (a link's use, which takes the MFA
 * lock right after them; a password change; signing out everywhere; an email change's
 * confirmation; a deactivation), and none that holds the MFA lock, a factor row or a staff row
 * touches them afterwards. Voided after lockTarget, this waited for a link's use holding the
 * link and waiting for the MFA lock held here; or, after the acting staff member's row (held by
 * lockTarget), for a deactivation of the person holding their links and waiting to lock every
 * admin's row. Refused later in the transaction (the actor's rights, the identity check), the
 * void is rolled back with the rest.
 */
export async function revokeAllSessions(ctx: Context, a: StaffAction): Promise<{ sessionsRevoked: number }> {
  return ctx.db.transaction().execute(async (trx) => {
    await voidEmailTokens(ctx, trx, 'password_reset', a.target.kind, a.target.id);
    // Then as every toolkit action: the person's MFA lock, then the acting staff member re-checked.
    await lockTarget(ctx, trx, a);
    const verification = await applyVerification(ctx, trx, a, await readSettings(ctx, trx));
    const sessionsRevoked = await endEverySession(ctx, trx, a.target.kind, a.target.id);
    await audit(ctx, trx, a, 'sessions.revoked_by_staff', verification, { sessionsRevoked });
    await ctx.mailer.enqueue(
      trx,
      notice(ctx, a, 'You were signed out everywhere', ['Our support team signed your account out on every device. Any password-reset link sent to you before now no longer works.']),
    );
    return { sessionsRevoked };
  });
}

export async function revokeRememberedDevices(ctx: Context, a: StaffAction): Promise<{ rememberedDevicesRemoved: number }> {
  return ctx.db.transaction().execute(async (trx) => {
    // As every toolkit action: the person's MFA lock, then the acting staff member re-checked.
    await lockTarget(ctx, trx, a);
    const verification = await applyVerification(ctx, trx, a, await readSettings(ctx, trx));
    const rememberedDevicesRemoved = await forgetRememberedDevices(ctx, trx, a.target);
    await audit(ctx, trx, a, 'mfa.remembered_devices.revoked_by_staff', verification, { rememberedDevicesRemoved });
    await ctx.mailer.enqueue(trx, notice(ctx, a, 'Remembered browsers were forgotten', ['Our support team removed every remembered browser from your account: each will ask for your second step again.']));
    return { rememberedDevicesRemoved };
  });
}

/** The Security panel (PRODUCT.md §4): everything staff need to see before acting. */
export async function securityPanel(ctx: Context, target: Account) {
  const owner = ownerOf(target);
  const now = ctx.clock.now().toISOString();
  const [factors, codesLeft, devices, state, lock, active, temp] = await Promise.all([
    mfaStore.listFactors(ctx.db, owner),
    mfaStore.countUnusedRecoveryCodes(ctx.db, owner),
    mfaStore.listRememberedDevices(ctx.db, owner, now),
    stateStore.findMFAAccount(ctx.db, owner),
    lockState(ctx, owner),
    sessions.listActiveSessions(ctx, ctx.db, target.kind, target.id),
    ctx.db.selectFrom('temporary_codes').select(['expires_at']).where('owner_kind', '=', owner.kind).where('owner_id', '=', owner.id).where('used_at', 'is', null).where('voided_at', 'is', null).where('expires_at', '>', now).executeTakeFirst(),
  ]);
  return {
    enrolled: factors.length > 0,
    enrollmentRequired: state?.enrollment_required === 1 || state?.setup_required === 1,
    setupLinkRequired: state?.setup_required === 1,
    locked: lock.locked,
    lock: { hard: lock.hard, until: lock.until, consecutiveFailures: lock.failures },
    factors: factors.map((f) => ({
      id: f.id,
      type: f.type,
      name: f.name,
      createdAt: f.createdAt,
      lastUsedAt: f.lastUsedAt,
      ...(f.type === 'webauthn' ? { authenticator: authenticatorName(f.aaguid), backedUp: f.backedUp } : {}),
    })),
    recoveryCodesLeft: factors.length ? codesLeft : 0,
    rememberedDevices: devices.map((d) => ({ id: d.id, browser: d.browser, createdAt: d.created_at, lastUsedAt: d.last_used_at })),
    activeSessions: active.filter((s) => s.level === 'full').map((s) => ({ createdAt: s.createdAt, lastSeenAt: s.lastSeenAt, ip: s.ip, userAgent: s.userAgent })),
    // Sign-ins that passed the password and wait for a second step or a new setup: someone who
    // knows the password, and, while a caller asks for help, where they are. Sign out
    // everywhere ends these too.
    pendingSignIns: active
      .filter((s) => s.level !== 'full')
      .map((s) => ({ state: s.level === 'mfa' ? ('mfa_required' as const) : ('enrollment_required' as const), createdAt: s.createdAt, ip: s.ip, userAgent: s.userAgent })),
    temporaryCode: temp ? { expiresAt: temp.expires_at } : null,
    pendingActions: (await listPendingActions(ctx, { ownerKind: target.kind, ownerID: target.id, status: 'pending' })).items,
  };
}
