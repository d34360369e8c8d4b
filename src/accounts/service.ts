import { DAY, HOUR } from '../clock.js';
import type { Context, RequestMeta } from '../context.js';
import { isUniqueViolation, type Executor } from '../db/index.js';
import { generateID } from '../crypto/random.js';
import { hashPassword, verifyDummyPassword, verifyPassword } from '../crypto/password.js';
import { AppError } from '../http/errors.js';
import { withinRateLimit } from '../http/rate-limit.js';
import { hashToken } from '../crypto/hash.js';
import { appendAuditEvent, type Actor } from '../audit/service.js';
import { templates } from '../notify/templates.js';
import { getSettings } from '../settings/service.js';
import * as sessions from '../sessions/service.js';
import type { SessionLevel, SessionRow } from '../sessions/service.js';
import { decideLevelInTransaction, openSecondStep, type SecondStepDecision } from '../mfa/sign-in.js';
import { liftHardLockAfterPasswordReset } from '../mfa/lockout.js';
import { takeMFAAdvisoryLock } from '../mfa/store.js';
import { consumeEmailToken, issueEmailToken, peekEmailToken, queueWithIssuers, voidEmailTokens } from './email-tokens.js';
import { clearLoginFailures, takePasswordTry } from './login-backoff.js';
import * as store from './store.js';
import type { Account, AccountKind } from './store.js';

export type { Account, AccountKind, StaffRole } from './store.js';

export function link(ctx: Context, path: string): string {
  return `${ctx.config.publicURL}${path}`;
}

const consolePath = (kind: AccountKind) => (kind === 'staff' ? '/admin' : '');

export function actorOf(a: Account): Actor {
  return { type: a.kind, id: a.id };
}

/** Audit target columns for an account: contacts in contact_id, staff in staff_id. */
export function targetOf(a: { kind: AccountKind; id: string }): { contactID?: string; staffID?: string } {
  return a.kind === 'contact' ? { contactID: a.id } : { staffID: a.id };
}

export async function getAccount(ctx: Context, kind: AccountKind, id: string, db: Executor = ctx.db): Promise<Account | null> {
  return store.findAccountByID(db, kind, id);
}

/** A person as they stand now, held for the rest of `trx`: see store.findAccountHeld. */
export async function getAccountHeld(ctx: Context, trx: Executor, kind: AccountKind, id: string): Promise<Account | null> {
  return store.findAccountHeld(trx, ctx.dialect, kind, id);
}

export async function findAccountByEmail(ctx: Context, kind: AccountKind, email: string): Promise<Account | null> {
  return store.findAccountByEmail(ctx.db, kind, email);
}

// ---------------------------------------------------------------- sign-up and verification

/**
 * Emails that a stranger can have sent to an address (reset links, "someone tried to sign up
 * with your address") are limited per address and per kind of email, whatever the IP: beyond
 * the limit nothing is sent, and the caller answers exactly as for an unknown address. Counted
 * in the shared database (one upsert), so the limit holds across instances. The address is
 * stored hashed, like the sign-in back-off's.
 */
async function mayEmailAddress(
  ctx: Context,
  what: 'password-reset' | 'signup-existing',
  kind: AccountKind,
  email: string,
  db: Executor = ctx.db,
): Promise<boolean> {
  const key = `mail:${what}:${kind}:${hashToken(store.normalizeEmail(email))}`;
  const ok = await withinRateLimit(ctx, key, ctx.config.rateLimitEmailsPerAddressPerHour, HOUR, db);
  if (!ok) ctx.log.warn({ what, kind }, 'per-address email limit reached; email not sent');
  return ok;
}

/**
 * Customer self sign-up. An address that already has an account gets exactly the same answer
 * (and the same password-hashing cost), while its owner is emailed instead, so sign-up never
 * tells a stranger who has an account.
 */
export async function signUp(ctx: Context, input: { email: string; password: string; name: string }, meta: RequestMeta): Promise<void> {
  const settings = await getSettings(ctx);
  if (!settings.allowSignup) throw new AppError('forbidden', 'Sign-up is turned off; ask the support team for an invitation');
  const email = store.normalizeEmail(input.email);
  const passwordHash = await hashPassword(input.password);
  try {
    await signUpOnce(ctx, email, passwordHash, input.name, meta);
  } catch (error) {
    // On PostgreSQL two sign-ups for one new address can both find it free; the second's
    // insert then fails on the unique address. Taken again, it finds the account and answers
    // as a sign-up for an existing address does, as one after the other would.
    if (!isUniqueViolation(error)) throw error;
    await signUpOnce(ctx, email, passwordHash, input.name, meta);
  }
}

async function signUpOnce(ctx: Context, email: string, passwordHash: string, name: string, meta: RequestMeta): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.transaction().execute(async (trx) => {
    const existing = await store.findAccountByEmail(trx, 'contact', email);
    if (existing) {
      // Counted here, in the transaction, so that a new address's own sign-up does not count.
      if (await mayEmailAddress(ctx, 'signup-existing', 'contact', email, trx)) {
        await ctx.mailer.enqueue(trx, templates.signupExisting(email, link(ctx, '/sign-in'), link(ctx, '/forgot-password')));
      }
      return;
    }
    const id = generateID('ct', now);
    await store.insertContact(trx, {
      id,
      email,
      name: name.trim(),
      password_hash: passwordHash,
      email_verified_at: null,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
    });
    const token = await issueEmailToken(ctx, trx, 'verify_email', 'contact', id, DAY);
    await appendAuditEvent(ctx, trx, { actor: { type: 'contact', id }, action: 'auth.signup', contactID: id, meta });
    await ctx.mailer.enqueue(trx, templates.verifyEmail(email, link(ctx, `/verify-email?token=${token}`)));
  });
}

export async function verifyEmail(ctx: Context, token: string, meta: RequestMeta): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const t = await consumeEmailToken(ctx, trx, 'verify_email', token);
    if (!t) throw new AppError('invalid_token');
    await store.markEmailVerified(trx, t.subjectID, ctx.clock.now().toISOString());
    await appendAuditEvent(ctx, trx, { actor: { type: 'contact', id: t.subjectID }, action: 'auth.email.verified', contactID: t.subjectID, meta });
  });
}

/** Sends a fresh verification link to a signed-in customer who has not verified yet. */
export async function resendVerification(ctx: Context, account: Account): Promise<void> {
  if (account.kind !== 'contact' || account.emailVerifiedAt) return;
  await ctx.db.transaction().execute(async (trx) => {
    const token = await issueEmailToken(ctx, trx, 'verify_email', 'contact', account.id, DAY);
    await ctx.mailer.enqueue(trx, templates.verifyEmail(account.email, link(ctx, `/verify-email?token=${token}`)));
  });
}

// ---------------------------------------------------------------- sign-in

export interface SignInResult {
  token: string;
  session: SessionRow;
  account: Account;
  decision: SecondStepDecision;
}

/**
 * Password sign-in. Unknown emails, wrong passwords and deactivated staff all answer
 * `invalid_credentials` after the same argon2id work. On success a brand-new session starts
 * (any session the browser had is ended), at the level the MFA rules decide.
 */
export async function signIn(
  ctx: Context,
  kind: AccountKind,
  input: { email: string; password: string },
  meta: RequestMeta,
  previous: SessionRow | null,
  rememberedDeviceToken?: string,
): Promise<SignInResult> {
  const email = store.normalizeEmail(input.email);
  await takePasswordTry(ctx, kind, email);
  const account = await store.findAccountByEmail(ctx.db, kind, email);
  const ok = account?.passwordHash ? await verifyPassword(account.passwordHash, input.password) : await verifyDummyPassword(input.password);
  if (!account || !ok || !account.active) {
    // The try was counted as a failure when it was taken.
    await appendAuditEvent(ctx, ctx.db, {
      actor: account ? actorOf(account) : { type: kind, id: null },
      action: 'auth.login.failed',
      ...(account ? targetOf(account) : {}),
      meta,
      details: { reason: !account ? 'unknown_email' : !ok ? 'wrong_password' : 'inactive' },
    });
    throw new AppError('invalid_credentials');
  }
  return ctx.db.transaction().execute(async (trx) => {
    // A right password forgets earlier wrong ones, and the try it took: in the session's
    // transaction (one commit less), so a sign-in that rolls back keeps its try counted.
    await clearLoginFailures(ctx, kind, email, trx);
    // Decided in the session's transaction, holding the person's MFA state, so that a reset
    // or a required setup racing this sign-in comes wholly before or after it (mfa/sign-in.ts).
    // The person is read again there, held (after the MFA state, in the order staff changes
    // take them): the password was checked on a read from before, and a deactivation or a
    // promotion to a role that needs MFA, racing this sign-in, must come wholly before it
    // (no session) or after it (its session ended, or sent to set up MFA). So must a password
    // reset or change: one that committed since the check (the person held now has another
    // password) came before this sign-in, whose password was then the old one, refused as a
    // wrong one (its try stays counted); otherwise it waits for this sign-in and ends its session.
    const held = async () => {
      const person = await getAccountHeld(ctx, trx, kind, account.id);
      return person && person.passwordHash === account.passwordHash ? person : null;
    };
    const decided = await decideLevelInTransaction(ctx, trx, account, rememberedDeviceToken, held);
    if (!decided) throw new AppError('invalid_credentials');
    const { decision, account: current } = decided;
    if (previous) await sessions.endSession(trx, previous);
    const started = await sessions.startSession(ctx, trx, kind, account.id, decision.level, meta, { stepUp: false });
    if (decision.level === 'mfa') await openSecondStep(trx, started.session);
    await appendAuditEvent(ctx, trx, {
      actor: actorOf(account),
      action: decision.level === 'full' ? 'auth.login.succeeded' : 'auth.password.succeeded',
      ...targetOf(account),
      meta,
      details: decision.level === 'full' ? { secondStep: decision.skippedBy ?? 'none' } : { next: decision.level },
    });
    return { ...started, account: current, decision };
  });
}

export async function signOut(ctx: Context, session: SessionRow, meta: RequestMeta): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await sessions.endSession(trx, session);
    await appendAuditEvent(ctx, trx, { actor: { type: session.kind, id: session.subjectID }, action: 'auth.logout', ...targetOf({ kind: session.kind, id: session.subjectID }), meta });
  });
}

export async function signOutEverywhere(ctx: Context, session: SessionRow, meta: RequestMeta): Promise<number> {
  return ctx.db.transaction().execute(async (trx) => {
    await voidResetLinks(ctx, trx, session.kind, session.subjectID);
    await queueWithSessionEnders(ctx, trx, session.kind, session.subjectID);
    // The session asking, as it stands once queued: ended meanwhile (by an enrollment that
    // retired the factors it was opened with, say), it no longer speaks for the person, and
    // must not sign out the sessions opened since.
    const live = await trx.selectFrom('sessions').select('id_hash').where('id_hash', '=', session.idHash).where('kind', '=', session.kind).executeTakeFirst();
    if (!live) throw new AppError('unauthenticated', 'This session has ended: sign in again');
    const n = await endEverySession(ctx, trx, session.kind, session.subjectID);
    await appendAuditEvent(ctx, trx, {
      actor: { type: session.kind, id: session.subjectID },
      action: 'auth.logout_everywhere',
      ...targetOf({ kind: session.kind, id: session.subjectID }),
      meta,
      details: { sessionsRevoked: n },
    });
    return n;
  });
}

/**
 * Voids every email change the account has waiting for confirmation (one UPDATE). Its token
 * alone confirms a change, and the old address is told to change the password if the request
 * was not theirs: so whatever ends a stolen session (a password reset or change, signing out
 * everywhere) must also end what that session asked for, or its holder confirms the change
 * afterwards and takes the account through a reset sent to the new address.
 */
async function voidPendingEmailChanges(ctx: Context, trx: Executor, kind: AccountKind, id: string): Promise<void> {
  await voidEmailTokens(ctx, trx, 'email_change', kind, id);
}

/**
 * Ends every session of an account (but `keep`, when given) and voids the email changes they
 * asked for: what every "sign out everywhere" must do, whoever does it (the person, a password
 * reset or change, staff resetting MFA or deactivating a colleague). Returns the sessions ended.
 */
export async function endEverySession(ctx: Context, trx: Executor, kind: AccountKind, id: string, keep?: SessionRow): Promise<number> {
  const n = await sessions.endAllSessions(trx, kind, id, keep);
  await voidPendingEmailChanges(ctx, trx, kind, id);
  return n;
}

/**
 * Queues a transaction that ends all of a person's sessions but its own behind the others that
 * do (PostgreSQL; SQLite runs one at a time): the person's MFA lock, taken after the reset
 * links and before the person and any session, as a link's use, a staff action and an
 * enrollment that retires lost factors (mfa/service.ts afterFactorAdded) take it. Two such
 * transactions each keep their own session and delete the other's; without a lock taken
 * first by both, each held the session the other had yet to rotate, and they deadlocked.
 */
async function queueWithSessionEnders(ctx: Context, trx: Executor, kind: AccountKind, id: string): Promise<void> {
  if (ctx.dialect === 'postgres') await takeMFAAdvisoryLock(trx, { kind, id });
}

/**
 * Voids the person's password-reset links: a person who changes their password or signs out
 * everywhere may be doing it because someone else got in, perhaps through their mailbox, and a
 * link already mailed would let that someone set the password after all. Taken first in the
 * transaction: the reset links come before the person's MFA lock and state (which a link's use
 * takes next), the person, the sessions and the email-change links in every transaction of a
 * person (a link's use, an email change's confirmation), so that on PostgreSQL they queue
 * instead of deadlocking. No transaction that holds the MFA lock touches the reset links.
 */
async function voidResetLinks(ctx: Context, trx: Executor, kind: AccountKind, id: string): Promise<void> {
  await voidEmailTokens(ctx, trx, 'password_reset', kind, id);
}

// ---------------------------------------------------------------- passwords

/**
 * Always answers the same; emails a 1-hour single-use link only when the account exists. A
 * customer without a password yet (created by staff without an invitation, or whose invitation
 * expired) gets one too, to choose a first password: the link proves the address as an
 * invitation does. Staff without a password come in only through their invitation.
 */
export async function requestPasswordReset(ctx: Context, kind: AccountKind, email: string, meta: RequestMeta): Promise<void> {
  const account = await store.findAccountByEmail(ctx.db, kind, email);
  if (!account || !account.active || (kind === 'staff' && !account.passwordHash)) return;
  // Beyond the limit nothing is sent, and the link already sent stays live (issuing voids it).
  if (!(await mayEmailAddress(ctx, 'password-reset', kind, account.email))) return;
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const token = await issueEmailToken(ctx, trx, 'password_reset', kind, account.id, HOUR);
      // The address again, now that this transaction is queued with an email change's (see
      // confirmEmailChange): a change confirmed since the read above voided the old address's
      // links, and this one would otherwise reach that mailbox live.
      const now = await store.findAccountByID(trx, kind, account.id);
      if (!now || !now.active || now.email !== account.email) throw new AddressMoved();
      await appendAuditEvent(ctx, trx, { actor: actorOf(account), action: 'auth.password.reset_requested', ...targetOf(account), meta });
      await ctx.mailer.enqueue(
        trx,
        templates.passwordReset(account.email, link(ctx, `${consolePath(kind)}/reset-password?token=${token}`), { at: ctx.clock.now(), ...meta }),
      );
    });
  } catch (error) {
    if (!(error instanceof AddressMoved)) throw error;
  }
}

/** The account's address changed (or it was deactivated) while a reset link was being issued. */
class AddressMoved extends Error {}

/**
 * Sets a new password from an emailed link. It never signs anyone in and never touches MFA;
 * it ends every session of the account, and lifts a password back-off and a hard MFA lock
 * (PRODUCT.md §7: "until staff unlock it or the customer resets the password"). The link
 * proves the address, so a customer's unconfirmed address is confirmed by it.
 */
export async function resetPassword(ctx: Context, kind: AccountKind, token: string, password: string, meta: RequestMeta): Promise<void> {
  // Look the link up before hashing the password (argon2id, ~13 ms and 19 MiB): a made-up or
  // spent token costs one indexed read. Using it up inside the transaction still decides.
  const live = await peekEmailToken(ctx, ctx.db, 'password_reset', token);
  if (!live || live.subjectKind !== kind) throw new AppError('invalid_token');
  const passwordHash = await hashPassword(password);
  const account = await ctx.db.transaction().execute(async (trx) => {
    // The reset links first, as in every transaction of a person (voidResetLinks).
    const t = await consumeEmailToken(ctx, trx, 'password_reset', token);
    if (!t || t.subjectKind !== kind) throw new AppError('invalid_token');
    // Then the person's MFA state, before the person: their MFA lock, then their MFA state row
    // (lifting a hard lock writes it), in the order a sign-in takes them (mfa/sign-in.ts,
    // decideLevelInTransaction: the MFA lock and the state row, then the person held) and a
    // staff change does (accounts/staff.ts: the MFA lock, then the person). The person first,
    // a hard-locked person's reset (the very case it exists for) and a sign-in deadlocked on
    // PostgreSQL: the reset held the person and waited for the state row the sign-in held,
    // the sign-in held it and waited for the person, and one of them was answered 409. Now
    // one waits for the other's MFA lock, and the sign-in comes wholly before the reset (and
    // is signed out by it) or after it (and needs the new password).
    //
    // The MFA state row is also written before the sessions, in the order a passed second step
    // writes them (mfa_accounts, then its session): the other way round, a reset racing the
    // second step whose right code was the check that set the hard lock deadlocked too.
    const owner = { kind, id: t.subjectID };
    if (ctx.dialect === 'postgres') await takeMFAAdvisoryLock(trx, owner);
    const unlocked = await liftHardLockAfterPasswordReset(ctx, trx, owner);
    // A deactivated person's link does nothing: throwing rolls the lift back with the rest.
    const account = await store.findAccountByID(trx, kind, t.subjectID);
    if (!account || !account.active) throw new AppError('invalid_token');
    const at = ctx.clock.now().toISOString();
    await store.updatePassword(trx, kind, account.id, passwordHash, at);
    if (kind === 'contact' && !account.emailVerifiedAt) await store.markEmailVerified(trx, account.id, at);
    const revoked = await endEverySession(ctx, trx, kind, account.id);
    const details = { sessionsRevoked: revoked, secondStepUnlocked: unlocked, ...(account.passwordHash ? {} : { firstPassword: true }) };
    await appendAuditEvent(ctx, trx, { actor: actorOf(account), action: 'auth.password.reset', ...targetOf(account), meta, details });
    await ctx.mailer.enqueue(trx, templates.passwordChanged(account.email, { at: ctx.clock.now(), ...meta }, account.kind));
    return account;
  });
  await clearLoginFailures(ctx, kind, account.email);
}

/**
 * Changes the password. Every session of the account ends (PRODUCT.md §7): the others are
 * revoked, and this browser's carries on under a new id (without a step-up), so that whoever
 * held a copy of the old cookie is out too.
 */
export async function changePassword(
  ctx: Context,
  account: Account,
  session: SessionRow,
  current: string,
  next: string,
  meta: RequestMeta,
): Promise<{ sessionsRevoked: number; session: sessions.NewSession }> {
  await checkOwnPassword(ctx, account, current, 'The current password is wrong');
  const passwordHash = await hashPassword(next);
  return ctx.db.transaction().execute(async (trx) => {
    await voidResetLinks(ctx, trx, account.kind, account.id);
    await queueWithSessionEnders(ctx, trx, account.kind, account.id);
    await store.updatePassword(trx, account.kind, account.id, passwordHash, ctx.clock.now().toISOString());
    const revoked = await endEverySession(ctx, trx, account.kind, account.id, session);
    const renewed = await sessions.rotateSession(ctx, trx, session, session.level, meta);
    await appendAuditEvent(ctx, trx, { actor: actorOf(account), action: 'auth.password.changed', ...targetOf(account), meta, details: { sessionsRevoked: revoked } });
    await ctx.mailer.enqueue(trx, templates.passwordChanged(account.email, { at: ctx.clock.now(), ...meta }, account.kind));
    return { sessionsRevoked: revoked, session: renewed };
  });
}

/**
 * Checks a signed-in person's own password (to change the password or the email address) under
 * the sign-in's per-account back-off, sharing its count: without it, a stolen session on an
 * account without MFA could guess the password here as fast as it liked, then change it.
 */
async function checkOwnPassword(ctx: Context, account: Account, password: string, wrong: string): Promise<void> {
  await takePasswordTry(ctx, account.kind, account.email);
  if (account.passwordHash && (await verifyPassword(account.passwordHash, password))) {
    await clearLoginFailures(ctx, account.kind, account.email);
    return;
  }
  throw new AppError('invalid_credentials', wrong);
}

// ---------------------------------------------------------------- email change

/** Asks to move the account to another address: the new one confirms, the old one is told. */
export async function requestEmailChange(ctx: Context, account: Account, newEmail: string, password: string, meta: RequestMeta): Promise<void> {
  await checkOwnPassword(ctx, account, password, 'The password is wrong');
  const email = store.normalizeEmail(newEmail);
  if (email === account.email) throw new AppError('invalid_input', 'That is already your email address');
  await ctx.db.transaction().execute(async (trx) => {
    // An address that already belongs to someone is not revealed here; confirmation fails later.
    const token = await issueEmailToken(ctx, trx, 'email_change', account.kind, account.id, DAY, email);
    await appendAuditEvent(ctx, trx, { actor: actorOf(account), action: 'auth.email.change_requested', ...targetOf(account), meta });
    await ctx.mailer.enqueue(trx, templates.emailChangeConfirm(email, link(ctx, `${consolePath(account.kind)}/confirm-email?token=${token}`)));
    await ctx.mailer.enqueue(trx, templates.emailChangeNotice(account.email, email, { at: ctx.clock.now(), ...meta }, account.kind));
  });
}

export async function confirmEmailChange(ctx: Context, kind: AccountKind, token: string, meta: RequestMeta): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    // Whose move it is, read without a lock; using the token up (below) still decides.
    const peeked = await peekEmailToken(ctx, trx, 'email_change', token);
    if (!peeked || peeked.subjectKind !== kind || !peeked.data) throw new AppError('invalid_token');
    const id = peeked.subjectID;
    // The rows in the order every transaction of this person takes them, so that on PostgreSQL
    // they queue instead of deadlocking: the reset links (a link's use, a password change,
    // signing out everywhere take them first), then the person (a link's use and a sign-in
    // take the MFA lock and state just before it; this takes neither), then the email-change
    // links, then the setup links (a staff reset takes them after the email-change links).
    //
    // Links already mailed to the old address would otherwise keep working after the move (a
    // reset link for an hour, an MFA setup link for a day), for whoever holds that mailbox,
    // which may be the very reason for the change. Queued with whoever issues them, a link
    // issued meanwhile is voided here, or is issued after the move and sees the new address.
    // Sessions are left alone: the change was asked for from a signed-in session with the
    // password (and a step-up when enrolled), and "sign out everywhere" or a password change
    // ends them when that is what is wanted.
    await queueWithIssuers(ctx, trx, 'password_reset', kind, id);
    await voidEmailTokens(ctx, trx, 'password_reset', kind, id);
    const taken = await store.findAccountByEmail(trx, kind, peeked.data);
    if (taken) throw new AppError('conflict', 'That address already belongs to another account');
    const account = await store.findAccountByID(trx, kind, id);
    if (!account) throw new AppError('invalid_token');
    const at = ctx.clock.now().toISOString();
    await store.updateProfile(trx, kind, account.id, { email: peeked.data }, at);
    const t = await consumeEmailToken(ctx, trx, 'email_change', token);
    if (!t || t.subjectKind !== kind || t.subjectID !== id || t.data !== peeked.data) throw new AppError('invalid_token');
    if (kind === 'contact') await store.markEmailVerified(trx, account.id, at);
    await queueWithIssuers(ctx, trx, 'mfa_setup', kind, id);
    await voidEmailTokens(ctx, trx, 'mfa_setup', kind, account.id);
    await appendAuditEvent(ctx, trx, { actor: actorOf(account), action: 'auth.email.changed', ...targetOf(account), meta, details: { from: account.email, to: peeked.data } });
  });
}

export async function updateName(ctx: Context, account: Account, name: string): Promise<void> {
  await store.updateProfile(ctx.db, account.kind, account.id, { name: name.trim() }, ctx.clock.now().toISOString());
}

export type { SessionLevel };
