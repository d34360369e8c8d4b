import { HOUR } from '../clock.js';
import type { Context, RequestMeta } from '../context.js';
import { generateID } from '../crypto/random.js';
import { hashPassword } from '../crypto/password.js';
import { AppError } from '../http/errors.js';
import { seqCursor } from '../http/schemas.js';
import { appendAuditEvent, appendAuditEvents, type Actor, type AuditEntry } from '../audit/service.js';
import { revokeStaffTokens } from '../sessions/api-tokens.js';
import { cancelPendingActionsOf, staffAuthority, voidTemporaryCodesIssuedBy } from '../recovery/ended-authority.js';
import { cancelBulkJobsStartedBy } from '../recovery/bulk.js';
import { lockMFAOwner, takeMFAAdvisoryLock } from '../mfa/store.js';
import { mustHaveMFA } from '../mfa/sign-in.js';
import { issueEmailToken, voidEmailTokens } from './email-tokens.js';
import { endEverySession, link } from './service.js';
import * as store from './store.js';
import type { Account, StaffRole } from './store.js';

/** Every staff member, newest first (break-glass and other lookups; the API pages instead). */
export async function listStaff(ctx: Context): Promise<Account[]> {
  return store.listStaff(ctx.db);
}

/** `GET /staff`: a page of staff, newest first; a cursor that is not one of ours is 400 invalid_input. */
export async function listStaffPage(ctx: Context, page: { limit: number; cursor?: string }): Promise<store.StaffPage> {
  return store.listStaffPage(ctx.db, { limit: page.limit, beforeSeq: seqCursor(page.cursor) });
}

/**
 * Changes a staff member's role or deactivates them. Deactivation ends their sessions, revokes
 * their API tokens and voids the password-reset links already mailed to them in the same
 * transaction. Nobody changes their own role or status, and the last active admin cannot be
 * demoted or deactivated.
 *
 * A promotion to a role that changes other people's MFA (supervisor, admin) of someone without
 * a factor also ends their sessions (PRODUCT.md §1: such staff must use MFA themselves): an
 * agent's session opened with the password alone, or one in which they removed their own last
 * factor, would otherwise carry the new rights without MFA. Their next sign-in sends them to
 * set one up. Their API tokens stay: a token never depends on its owner's second step.
 */
export async function updateStaffMember(
  ctx: Context,
  by: { account: Account; actor: Actor; token?: { createdBy: string | null } | null },
  id: string,
  change: { role?: StaffRole; active?: boolean },
  meta: RequestMeta,
): Promise<Account> {
  // Nor through a token they made for someone else (as for the toolkit's actions).
  if (by.account.id === id || by.token?.createdBy === id) throw new AppError('forbidden', 'You cannot change your own role or status');
  return ctx.db.transaction().execute(async (trx) => {
    const target = await store.findAccountByID(trx, 'staff', id);
    if (!target) throw new AppError('not_found');
    // A deactivation is how an admin answers a staff account taken over, perhaps through its
    // mailbox: a reset link asked for before it must not set the password once the account is
    // reactivated (a deactivated person's link does nothing meanwhile, resetPassword). Voided as
    // the person's own sign-out everywhere voids them (accounts/service.ts, voidResetLinks), and
    // before anything else is locked here: the reset links come before the person's MFA lock,
    // any staff row and the person's row in every transaction that takes them (a link's use
    // takes the link, then the MFA lock, then the person; support's sign-out everywhere the
    // links, then the MFA lock, then the acting staff member's row), and the active admins'
    // rows locked below would otherwise be held while waiting for a link that such a
    // transaction holds. Refused below (the last admin, a demoted actor), the void rolls back.
    if (change.active === false) {
      await voidEmailTokens(ctx, trx, 'password_reset', 'staff', id);
      // Then the person's MFA lock, before any session, as every transaction that ends all of
      // someone's sessions takes it (an enrollment retiring lost factors ends them too).
      if (ctx.dialect === 'postgres') await takeMFAAdvisoryLock(trx, { kind: 'staff', id });
    }
    // A role that changes other people's MFA needs a factor (the policy concerns customers only:
    // for staff, the role decides). Read under the person's MFA lock, taken before any other
    // lock here, so a removal of their last factor cannot slip in between.
    const needsMFA = change.role !== undefined && change.active !== false && target.active && mustHaveMFA({ ...target, role: change.role }, 'optional');
    const withoutFactor = needsMFA && (await lockMFAOwner(trx, ctx.dialect, { kind: 'staff', id })).length === 0;
    // The active admins as they stand now, locked (PostgreSQL, in id order): the acting admin
    // (a token's owner) must still be one, as rights are checked on a read from before this
    // transaction. Two admins demoting each other at once both passed that check; now the
    // second waits for the first and finds itself demoted (403), as one after the other.
    const admins = await store.lockActiveAdmins(trx, ctx.dialect);
    if (!admins.includes(by.account.id)) throw new AppError('forbidden', 'You are no longer an active admin');
    const losesAdmin = target.role === 'admin' && target.active && ((change.role && change.role !== 'admin') || change.active === false);
    if (losesAdmin && admins.length <= 1) throw new AppError('conflict', 'The last active admin cannot be demoted or deactivated');
    await store.updateStaff(trx, id, { ...(change.role ? { role: change.role } : {}), ...(change.active !== undefined ? { active: change.active ? 1 : 0 } : {}) }, ctx.clock.now().toISOString());
    let sessionsRevoked = 0;
    let tokensRevoked = 0;
    if (change.active === false) {
      sessionsRevoked = await endEverySession(ctx, trx, 'staff', id);
      tokensRevoked = await revokeStaffTokens(ctx, trx, id);
    } else if (withoutFactor) {
      sessionsRevoked = await endEverySession(ctx, trx, 'staff', id);
    }
    // What they scheduled through the waiting period, the temporary access codes they issued
    // that still work, and the bulk resets they started go with the rights they lost (in
    // person, or through an API token they own or made for someone else).
    const standing = { id, active: change.active ?? target.active, role: change.role ?? target.role! };
    // Bulk jobs first, audit entries last (ended-authority.ts says why).
    const ended = await staffAuthority(trx, standing);
    const entries: AuditEntry[] = [];
    const bulkJobsCancelled = !ended.endsBulkJobs
      ? 0
      : await cancelBulkJobsStartedBy(ctx, trx, ended, standing.active ? 'the admin who started it is no longer an admin' : 'the admin who started it was deactivated', meta, entries);
    const pendingActionsCancelled = await cancelPendingActionsOf(ctx, trx, ended, meta, entries);
    const codesVoidedFor = await voidTemporaryCodesIssuedBy(ctx, trx, ended, meta);
    await appendAuditEvents(ctx, trx, entries);
    await appendAuditEvent(ctx, trx, {
      // The token, when an API token made the change (PRODUCT.md §5: the actor is a contact,
      // staff, an API token or the CLI), else the staff member.
      actor: by.actor,
      action: change.active === false ? 'staff.deactivated' : change.active === true ? 'staff.reactivated' : 'staff.role_changed',
      staffID: id,
      meta,
      details: {
        from: { role: target.role, active: target.active },
        to: change,
        sessionsRevoked,
        tokensRevoked,
        pendingActionsCancelled,
        temporaryCodesVoided: codesVoidedFor.length,
        temporaryCodesVoidedFor: codesVoidedFor,
        bulkJobsCancelled,
      },
    });
    return (await store.findAccountByID(trx, 'staff', id))!;
  });
}

/** `portico admin create` / `staff create`: an account with a password, no email round trip. */
export async function createStaffWithPassword(
  ctx: Context,
  input: { email: string; name: string; role: StaffRole; password: string },
): Promise<Account> {
  const email = store.normalizeEmail(input.email);
  const passwordHash = await hashPassword(input.password);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    if (await store.findAccountByEmail(trx, 'staff', email)) throw new AppError('conflict', `a staff member with email ${email} already exists`);
    const id = generateID('st', now);
    await store.insertStaff(trx, { id, email, name: input.name.trim(), role: input.role, password_hash: passwordHash, active: 1, created_at: now.toISOString(), updated_at: now.toISOString() });
    await appendAuditEvent(ctx, trx, { actor: { type: 'cli', id: null }, action: 'staff.created', staffID: id, details: { role: input.role } });
    return (await store.findAccountByID(trx, 'staff', id))!;
  });
}

/**
 * While no admin has a password (a new installation), makes sure a first admin exists and
 * returns a fresh single-use setup link (1 hour) for the console to print. Null otherwise.
 */
export async function ensureFirstAdminSetupLink(ctx: Context): Promise<string | null> {
  if ((await store.countAdminsWithPassword(ctx.db)) > 0) return null;
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    let admin = (await store.listStaff(trx)).find((s) => s.role === 'admin' && s.active && !s.passwordHash);
    if (!admin) {
      const id = generateID('st', now);
      await store.insertStaff(trx, { id, email: 'admin@localhost', name: 'Administrator', role: 'admin', password_hash: null, active: 1, created_at: now.toISOString(), updated_at: now.toISOString() });
      await appendAuditEvent(ctx, trx, { actor: { type: 'system', id: null }, action: 'staff.first_admin_created', staffID: id });
      admin = (await store.findAccountByID(trx, 'staff', id))!;
    }
    const token = await issueEmailToken(ctx, trx, 'admin_setup', 'staff', admin.id, HOUR);
    return link(ctx, `/admin/setup?token=${token}`);
  });
}
