import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { MINUTE } from '../clock.js';
import type { Context, RequestMeta } from '../context.js';
import type { Executor } from '../db/index.js';
import { generateID } from '../crypto/random.js';
import { AppError } from '../http/errors.js';
import { appendAuditEvent } from '../audit/service.js';
import { templates } from '../notify/templates.js';
import { findAccountByID, type Account } from '../accounts/store.js';
import { voidEmailTokens } from '../accounts/email-tokens.js';
import { endEverySession } from '../accounts/service.js';
import * as sessions from '../sessions/service.js';
import type { NewSession, SessionRow } from '../sessions/service.js';
import { getSettings, holdSettings } from '../settings/service.js';
import * as store from './store.js';
import * as stateStore from './state-store.js';
import type { Factor } from './store.js';
import { ownerOf } from './lockout.js';
import { mustHaveMFA } from './sign-in.js';
import { generateRecoveryCode, hashRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-codes.js';
import { base32Secret, generateTOTPSecret, matchTOTPStep, totpQRSVG, totpURI } from './totp.js';
import { authenticatorName, registrationOptions, verifyRegistration } from './webauthn.js';
import { forgetRememberedDevices } from './remembered-devices.js';
import { presentFactor, type FactorView } from './security-page.js';
import { codeSessionEnrolled, factorsRetiredBySession, voidTemporaryCodes } from './temporary-codes.js';

/**
 * Once any factor exists, adding, removing and regenerating need a step-up. An
 * enrollment-only session has just proven itself (second step, temporary code or setup link)
 * and may only enroll, so it passes. This early check spares the work of a request that will be
 * refused; the rule is decided again by stepUpUnderLock on the factors read under the person's
 * MFA lock, since a first factor may be added between this read and that transaction.
 */
export async function requireStepUpWhenEnrolled(ctx: Context, session: SessionRow, account: Account): Promise<void> {
  if (session.level === 'enrollment') return;
  stepUpUnderLock(ctx, session, await store.countActiveFactors(ctx.db, ownerOf(account)));
}

/**
 * The step-up rule on the active factors counted under the person's MFA lock, in the
 * transaction that makes the change. Decided only before it, a request that found no factor
 * needed no step-up, and an owner's first enrollment committing in between let a password-only
 * session regenerate recovery codes that then passed the second step.
 */
function stepUpUnderLock(ctx: Context, session: SessionRow, activeFactors: number): void {
  if (session.level === 'enrollment' || activeFactors === 0) return;
  if (!sessions.hasFreshStepUp(ctx, session)) throw new AppError('step_up_required');
}

async function assertEnrollmentAllowed(ctx: Context, account: Account): Promise<void> {
  const settings = await getSettings(ctx);
  if (account.kind === 'contact' && settings.policy === 'off') throw new AppError('forbidden', 'Two-step verification is turned off for this help center');
  if (account.kind === 'contact' && !account.emailVerifiedAt) throw new AppError('forbidden', 'Confirm your email address before setting up two-step verification');
}

function target(account: Account): { contactID?: string; staffID?: string } {
  return account.kind === 'contact' ? { contactID: account.id } : { staffID: account.id };
}

function selfNotice(ctx: Context, account: Account, subject: string, line: string, meta: RequestMeta) {
  return templates.securityNoticeFor(account.kind)(account.email, subject, [line], { at: ctx.clock.now(), ...meta, actor: 'you' });
}

// ------------------------------------------------------------------ TOTP

export async function beginTOTPEnrollment(ctx: Context, session: SessionRow, account: Account): Promise<{ factorId: string; secret: string; otpauthUri: string; qrSvg: string }> {
  await assertEnrollmentAllowed(ctx, account);
  await requireStepUpWhenEnrolled(ctx, session, account);
  const owner = ownerOf(account);
  const now = ctx.clock.now();
  const secret = generateTOTPSecret();
  const id = generateID('fa', now);
  // Abandoned enrollments of this person are replaced, so pending rows never pile up.
  await ctx.db.deleteFrom('mfa_factors').where('owner_kind', '=', owner.kind).where('owner_id', '=', owner.id).where('status', '=', 'pending').execute();
  await store.insertFactor(ctx.db, {
    id,
    owner_kind: owner.kind,
    owner_id: owner.id,
    type: 'totp',
    name: 'Authenticator app',
    status: 'pending',
    secret_sealed: ctx.secretBox.seal(secret, id),
    last_used_step: null,
    credential_id: null,
    public_key: null,
    counter: null,
    transports: null,
    aaguid: null,
    device_type: null,
    backed_up: null,
    created_at: now.toISOString(),
    last_used_at: null,
  });
  const uri = totpURI(secret, new URL(ctx.config.publicURL).hostname === 'localhost' ? 'Portico' : `Portico (${new URL(ctx.config.publicURL).hostname})`, account.email);
  return { factorId: id, secret: base32Secret(secret), otpauthUri: uri, qrSvg: await totpQRSVG(uri) };
}

export interface EnrollmentResult {
  factor: FactorView;
  recoveryCodes?: string[];
  /** Set when an enrollment-only session became a full one (new id). */
  session?: NewSession;
}

export async function confirmTOTPEnrollment(ctx: Context, session: SessionRow, account: Account, factorID: string, code: string, name: string | undefined, meta: RequestMeta): Promise<EnrollmentResult> {
  // Again at the finish: the policy may have turned `off` since the enrollment began.
  await assertEnrollmentAllowed(ctx, account);
  await requireStepUpWhenEnrolled(ctx, session, account);
  const owner = ownerOf(account);
  const factor = await store.findFactor(ctx.db, owner, factorID);
  if (!factor || factor.type !== 'totp' || factor.status !== 'pending') throw new AppError('not_found', 'No authenticator app is waiting for confirmation with this id');
  const now = ctx.clock.now();
  const step = matchTOTPStep(ctx.secretBox.open(factor.secretSealed!, factor.id), code, now);
  if (step === null) throw new AppError('invalid_code', 'That code does not match: check the time on your phone and enter the current code');
  const codes = await prepareRecoveryCodes(ctx, session, account);
  return ctx.db.transaction().execute(async (trx) => {
    stepUpUnderLock(ctx, session, (await lockOwnerInLiveSession(ctx, trx, owner, session)).length);
    const finalName = name?.trim() || 'Authenticator app';
    if (!(await store.activateFactor(trx, owner, factor.id, finalName, step, now.toISOString()))) {
      throw new AppError('conflict', 'This authenticator app was already confirmed');
    }
    const activated = { ...factor, name: finalName, status: 'active' as const, lastUsedAt: now.toISOString() };
    return afterFactorAdded(ctx, trx, session, account, activated, codes, meta);
  });
}

// ------------------------------------------------------------------ WebAuthn

export async function beginWebAuthnRegistration(ctx: Context, session: SessionRow, account: Account) {
  await assertEnrollmentAllowed(ctx, account);
  await requireStepUpWhenEnrolled(ctx, session, account);
  const existing = await store.listFactors(ctx.db, ownerOf(account));
  const options = await registrationOptions(ctx.config, account, existing);
  await stateStore.putChallenge(ctx.db, session.idHash, 'register', options.challenge, new Date(ctx.clock.now().getTime() + 5 * MINUTE).toISOString());
  return options;
}

export async function finishWebAuthnRegistration(ctx: Context, session: SessionRow, account: Account, response: RegistrationResponseJSON, name: string | undefined, meta: RequestMeta): Promise<EnrollmentResult> {
  // Again at the finish: the policy may have turned `off` since the registration began.
  await assertEnrollmentAllowed(ctx, account);
  await requireStepUpWhenEnrolled(ctx, session, account);
  const now = ctx.clock.now();
  const challenge = await stateStore.takeChallenge(ctx.db, session.idHash, 'register', now.toISOString());
  if (!challenge) throw new AppError('invalid_input', 'Ask for registration options first (POST …/mfa/webauthn/options); a challenge works once');
  const reg = await verifyRegistration(ctx.config, response, challenge);
  if (!reg) throw new AppError('invalid_input', 'The passkey registration could not be verified');
  if (await store.findFactorByCredentialID(ctx.db, reg.credentialID)) throw new AppError('conflict', 'This passkey is already registered');
  const codes = await prepareRecoveryCodes(ctx, session, account);
  const owner = ownerOf(account);
  const id = generateID('fa', now);
  const finalName = name?.trim() || authenticatorName(reg.aaguid) || 'Passkey';
  // The "already registered?" read above and the insert are apart: the same credential sent for
  // two accounts at once meets the unique index in the later insert, which rolls back its
  // transaction. That is the conflict the read would have seen.
  const taken = (error: unknown): never => {
    if (store.isCredentialIDTaken(error)) throw new AppError('conflict', 'This passkey is already registered');
    throw error;
  };
  return ctx.db.transaction().execute(async (trx) => {
    stepUpUnderLock(ctx, session, (await lockOwnerInLiveSession(ctx, trx, owner, session)).length);
    await store.insertFactor(trx, {
      id,
      owner_kind: owner.kind,
      owner_id: owner.id,
      type: 'webauthn',
      name: finalName.slice(0, 100),
      status: 'active',
      secret_sealed: null,
      last_used_step: null,
      credential_id: reg.credentialID,
      public_key: reg.publicKey,
      counter: reg.counter,
      transports: JSON.stringify(reg.transports),
      aaguid: reg.aaguid,
      device_type: reg.deviceType,
      backed_up: reg.backedUp ? 1 : 0,
      created_at: now.toISOString(),
      last_used_at: null,
    });
    const factor = (await store.findFactor(trx, owner, id))!;
    return afterFactorAdded(ctx, trx, session, account, factor, codes, meta);
  }).catch(taken);
}

// ------------------------------------------------------------------ after an enrollment

/**
 * The first statements of an enrollment's transaction: the person's MFA lock, then the check
 * that the session enrolling is still alive. A staff reset (or a sign-out everywhere) ends every
 * session under that lock; an enrollment whose request was let in before the reset committed
 * but whose transaction runs after it must fail as it would have in the serial order (its
 * session gone), not add a factor and recovery codes to the account the reset just emptied.
 * Without this, a passkey registration racing a reset left a passkey, ten recovery codes and no
 * setup requirement on an account whose reset reported it had removed everything (a TOTP
 * confirmation was saved only by the reset deleting its pending factor).
 */
async function lockOwnerInLiveSession(ctx: Context, trx: Executor, owner: store.Owner, session: SessionRow): Promise<Factor[]> {
  const factors = await store.lockMFAOwner(trx, ctx.dialect, owner);
  // And their MFA state row, held (PostgreSQL), as a sign-in holds it: a bulk reset batch takes
  // no per-person lock but writes that row for each of its contacts, so an enrollment either
  // comes wholly before the batch (whose factors it then deletes again: recovery/bulk.ts) or
  // after it, when the session checked below is gone.
  await stateStore.holdMFAStateForSignIn(trx, ctx.dialect, owner, ctx.clock.now().toISOString());
  const live = await trx
    .selectFrom('sessions')
    .select('id_hash')
    .where('id_hash', '=', session.idHash)
    .where('kind', '=', owner.kind)
    .where('subject_id', '=', owner.id)
    .where('expires_at', '>', ctx.clock.now().toISOString())
    .executeTakeFirst();
  if (!live) throw new AppError('unauthenticated', 'This session has ended (signed out, or the account was reset): sign in again');
  return factors;
}


/** Hashes a fresh set of recovery codes before a transaction that may hand them out. */
async function prepareRecoveryCodes(ctx: Context, session: SessionRow, account: Account): Promise<Array<{ code: string; hash: string; id: string }> | null> {
  const hasFactors = (await store.countActiveFactors(ctx.db, ownerOf(account))) > 0;
  if (hasFactors && session.level !== 'enrollment') return null;
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => generateRecoveryCode());
  const hashes = await Promise.all(codes.map(hashRecoveryCode));
  const now = ctx.clock.now();
  return codes.map((code, i) => ({ code, hash: hashes[i], id: generateID('rc', now) }));
}

/**
 * Everything that follows a new active factor, in its transaction: in an enrollment-only
 * session, the factors its flow named go (a required enrollment's, a temporary code's), the
 * first factor comes with recovery codes, staff requirements are cleared, an enrollment-only
 * session becomes a full one with a new id, and the owner is told.
 */
async function afterFactorAdded(
  ctx: Context,
  trx: Executor,
  session: SessionRow,
  account: Account,
  factor: Factor,
  codes: Array<{ code: string; hash: string; id: string }> | null,
  meta: RequestMeta,
): Promise<EnrollmentResult> {
  const owner = ownerOf(account);
  const now = ctx.clock.now().toISOString();
  const state = await stateStore.findMFAAccount(trx, owner);
  let retired = 0;
  // Factors are retired only by an enrollment that completes the flow which named them, in the
  // enrollment-only session it leads to (PRODUCT.md §4.3, §4.4): a required enrollment's (the
  // list staff set, while its flag stands) and a temporary code's (the list of the code that
  // opened this very session). An enrollment in an ordinary session retires nothing.
  if (session.level === 'enrollment') {
    const ids = new Set(await factorsRetiredBySession(trx, owner, session.idHash));
    await codeSessionEnrolled(trx, owner, session.idHash);
    if (state?.enrollment_required === 1 && state.retire_factor_ids) for (const id of JSON.parse(state.retire_factor_ids) as string[]) ids.add(id);
    ids.delete(factor.id);
    if (ids.size) retired = await store.deleteFactors(trx, owner, [...ids]);
  }
  if (state) await stateStore.updateMFAAccount(trx, owner, { enrollment_required: 0, setup_required: 0, retire_factor_ids: null }, now);
  // An enrollment voids any temporary access code and setup link still outstanding (a setup
  // link of a reset whose email went out late, say): their purpose is served. So are the
  // person's other enrollment-only sessions: one opened by the password alone while the account
  // had no factor (policy `required`, or a supervisor's) would otherwise still add a factor with
  // no step-up after this one exists, become a full session, and remove the owner's.
  await voidTemporaryCodes(ctx, trx, owner);
  // Factors retired by a temporary code's or a required enrollment's flow were lost or taken:
  // whatever they let in goes with them (PRODUCT.md §4.3, §4.4). A phisher who had the password,
  // a session and a remembered browser would otherwise keep the session, and with the browser and
  // the password sign in past the owner's new factor without its second step. Every other
  // session ends (and the email changes they asked for: before the setup links, the order an
  // email change's confirmation takes them), and every remembered browser is forgotten.
  let otherSessionsEnded = 0;
  let rememberedDevicesForgotten = 0;
  if (retired > 0) {
    // The settings row before the remembered devices, as every writer of several of them holds
    // it (a shorter remember period rewrites them all, in another order).
    await holdSettings(ctx, trx);
    otherSessionsEnded = await endEverySession(ctx, trx, account.kind, account.id, session);
    rememberedDevicesForgotten = await forgetRememberedDevices(ctx, trx, account);
  }
  await voidEmailTokens(ctx, trx, 'mfa_setup', account.kind, account.id);
  const ended = await trx.deleteFrom('sessions').where('kind', '=', owner.kind).where('subject_id', '=', owner.id).where('level', '=', 'enrollment').where('id_hash', '!=', session.idHash).executeTakeFirst();
  const enrollmentSessionsEnded = Number(ended.numDeletedRows);
  let recoveryCodes: string[] | undefined;
  const onlyFactor = (await store.countActiveFactors(trx, owner)) === 1;
  if (codes && onlyFactor) {
    await store.replaceRecoveryCodes(trx, owner, codes, now);
    recoveryCodes = codes.map((c) => c.code);
  } else if (onlyFactor && (await store.countUnusedRecoveryCodes(trx, owner)) === 0) {
    // Codes were prepared only when this was to be the first factor; the others went since
    // (removed from another tab at that moment), so it is the first after all, and a first
    // factor always comes with codes. Rolled back: trying again prepares them.
    throw new AppError('conflict', 'Your sign-in methods changed while this one was added: add it again');
  }
  let newSession: NewSession | undefined;
  if (session.level === 'enrollment') {
    newSession = await sessions.rotateSession(ctx, trx, session, 'full', meta, { stepUp: true });
  }
  await appendAuditEvent(ctx, trx, {
    actor: { type: account.kind, id: account.id },
    action: 'mfa.factor.enrolled',
    ...target(account),
    meta,
    details: {
      factorId: factor.id,
      type: factor.type,
      name: factor.name,
      retiredFactors: retired,
      recoveryCodesIssued: recoveryCodes?.length ?? 0,
      ...(enrollmentSessionsEnded ? { enrollmentSessionsEnded } : {}),
      ...(retired ? { otherSessionsEnded, rememberedDevicesForgotten } : {}),
    },
  });
  const kind = factor.type === 'totp' ? 'An authenticator app' : 'A passkey or security key';
  const replaced = retired
    ? `, replacing ${retired} earlier method${retired === 1 ? '' : 's'}. Every other sign-in to your account was ended and every remembered browser forgotten, so only this browser is signed in now`
    : '';
  await ctx.mailer.enqueue(trx, selfNotice(ctx, account, 'A sign-in method was added to your account', `${kind} named "${factor.name}" was added to your account's two-step verification${replaced}.`, meta));
  return { factor: presentFactor(factor), recoveryCodes, session: newSession };
}

// ------------------------------------------------------------------ managing factors

export async function renameMyFactor(ctx: Context, account: Account, id: string, name: string): Promise<FactorView> {
  const owner = ownerOf(account);
  if (!(await store.renameFactor(ctx.db, owner, id, name.trim()))) throw new AppError('not_found', 'No factor has this id');
  // Read after the rename's own commit: a removal from another tab may come in between.
  const renamed = await store.findFactor(ctx.db, owner, id);
  if (!renamed) throw new AppError('not_found', 'No factor has this id');
  return presentFactor(renamed);
}

/**
 * Removes one of one's own factors (with a step-up). The last factor cannot go when MFA is
 * required of this person; when it does go, the recovery codes and remembered devices go too.
 * "Is it the last one?" is answered under the person's MFA lock (store.lockMFAOwner), in the
 * transaction that removes it: two removals of the last two factors at once cannot both pass.
 * So is "must this person keep MFA?": a staff promotion decides under the same lock.
 */
export async function removeMyFactor(ctx: Context, session: SessionRow, account: Account, id: string, meta: RequestMeta): Promise<void> {
  await requireStepUpWhenEnrolled(ctx, session, account);
  const owner = ownerOf(account);
  const settings = await getSettings(ctx);
  await ctx.db.transaction().execute(async (trx) => {
    const factors = await store.lockMFAOwner(trx, ctx.dialect, owner);
    stepUpUnderLock(ctx, session, factors.length);
    const factor = factors.find((f) => f.id === id);
    if (!factor) throw new AppError('not_found', 'No factor has this id');
    const count = factors.length;
    // The role as it is now that the lock is held, not as this request read it before: a
    // promotion to supervisor or admin decides under the same lock whether the person has a
    // factor (accounts/staff.ts). Judged by the role read earlier, a promotion committing in
    // between let an agent become a supervisor with no factor and a live session.
    const current = await findAccountByID(trx, account.kind, account.id);
    if (!current || !current.active) throw new AppError('unauthenticated');
    if (count === 1 && mustHaveMFA(current, settings.policy)) {
      throw new AppError('conflict', 'Two-step verification is required: add another method before removing your last one');
    }
    await store.deleteFactor(trx, owner, id);
    let codesRemoved = 0;
    let devicesRemoved = 0;
    if (count === 1) {
      codesRemoved = await store.deleteRecoveryCodes(trx, owner);
      await holdSettings(ctx, trx);
      devicesRemoved = await forgetRememberedDevices(ctx, trx, account);
    }
    await appendAuditEvent(ctx, trx, {
      actor: { type: account.kind, id: account.id },
      action: 'mfa.factor.removed',
      ...target(account),
      meta,
      details: { factorId: id, type: factor.type, name: factor.name, lastFactor: count === 1, recoveryCodesRemoved: codesRemoved, rememberedDevicesRemoved: devicesRemoved },
    });
    await ctx.mailer.enqueue(
      trx,
      selfNotice(ctx, account, 'A sign-in method was removed from your account', `"${factor.name}" was removed from your account's two-step verification${count === 1 ? '. Your account no longer has two-step verification' : ''}.`, meta),
    );
  });
}

export async function regenerateMyRecoveryCodes(ctx: Context, session: SessionRow, account: Account, meta: RequestMeta): Promise<string[]> {
  await requireStepUpWhenEnrolled(ctx, session, account);
  const owner = ownerOf(account);
  if ((await store.countActiveFactors(ctx.db, owner)) === 0) throw new AppError('conflict', 'Recovery codes come with a second factor: set one up first');
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => generateRecoveryCode());
  const hashes = await Promise.all(codes.map(hashRecoveryCode));
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    // Checked again under the lock: a removal of the last factor racing this must not leave
    // codes behind, and a first factor added at this instant now asks for the step-up.
    const factors = await store.lockMFAOwner(trx, ctx.dialect, owner);
    if (factors.length === 0) throw new AppError('conflict', 'Recovery codes come with a second factor: set one up first');
    stepUpUnderLock(ctx, session, factors.length);
    const voided = await store.replaceRecoveryCodes(trx, owner, hashes.map((hash) => ({ id: generateID('rc', now), hash })), now.toISOString());
    await appendAuditEvent(ctx, trx, { actor: { type: account.kind, id: account.id }, action: 'mfa.recovery_codes.generated', ...target(account), meta, details: { voided } });
    await ctx.mailer.enqueue(trx, selfNotice(ctx, account, 'New recovery codes were generated', 'A new set of recovery codes was generated for your account; the old ones no longer work.', meta));
  });
  return codes;
}

export async function forgetMyDevice(ctx: Context, account: Account, id: string, meta: RequestMeta): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const n = await forgetRememberedDevices(ctx, trx, account, id);
    if (n === 0) throw new AppError('not_found', 'No remembered device has this id');
    await appendAuditEvent(ctx, trx, { actor: { type: account.kind, id: account.id }, action: 'mfa.remembered_device.revoked', ...target(account), meta, details: { deviceId: id } });
    await ctx.mailer.enqueue(trx, selfNotice(ctx, account, 'A remembered browser was forgotten', 'A browser remembered for your sign-ins was forgotten: it will ask for the second step again.', meta));
  });
}
