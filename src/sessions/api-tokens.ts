import { DAY } from '../clock.js';
import type { Context, RequestMeta } from '../context.js';
import type { Executor } from '../db/index.js';
import { generateID, generateToken } from '../crypto/random.js';
import { hashToken } from '../crypto/hash.js';
import { AppError } from '../http/errors.js';
import { idCursor } from '../http/schemas.js';
import { appendAuditEvent, appendAuditEvents, type Actor, type AuditEntry } from '../audit/service.js';
import { templates } from '../notify/templates.js';
import type { Account, StaffRole } from '../accounts/store.js';
import { findAccountByID, findAccountHeld, listStaff, lockActiveAdmins } from '../accounts/store.js';
import { cancelPendingActionsOf, tokenAuthority, voidTemporaryCodesIssuedBy } from '../recovery/ended-authority.js';
import { cancelBulkJobsStartedBy } from '../recovery/bulk.js';

export const SCOPES = ['contacts:read', 'contacts:write', 'mfa:manage', 'mfa:bulk', 'audit:read', 'settings:write', 'staff:manage', 'tickets:read', 'tickets:write'] as const;
export type Scope = (typeof SCOPES)[number];

/** What each role may do; a token's scopes are cut down to its owner's current role. */
export const ROLE_SCOPES: Record<StaffRole, readonly Scope[]> = {
  agent: ['contacts:read', 'contacts:write', 'tickets:read', 'tickets:write', 'audit:read'],
  supervisor: ['contacts:read', 'contacts:write', 'tickets:read', 'tickets:write', 'audit:read', 'mfa:manage'],
  admin: SCOPES,
};

export interface APIToken {
  id: string;
  staffId: string;
  /** The staff member who made it (an admin may make one in a colleague's name); null: the CLI. */
  createdBy: string | null;
  name: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/**
 * Creates an API token for a staff member. The token (`pt_…`) is returned once; only its
 * SHA-256 is stored. Every admin is emailed, so a new token never goes unnoticed.
 */
export async function createAPIToken(
  ctx: Context,
  actor: Actor,
  owner: Account,
  input: { name: string; scopes: string[]; expiresInDays: number },
  meta: RequestMeta,
): Promise<{ id: string; token: string; expiresAt: string; scopes: string[] }> {
  const unknown = input.scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length) throw new AppError('invalid_input', `Unknown scopes: ${unknown.join(', ')}`);
  if (!owner.active || owner.kind !== 'staff') throw new AppError('invalid_input', 'Tokens belong to active staff members');
  const now = ctx.clock.now();
  const token = `pt_${generateToken()}`;
  const id = generateID('tok', now);
  const expiresAt = new Date(now.getTime() + input.expiresInDays * DAY).toISOString();
  await ctx.db.transaction().execute(async (trx) => {
    // First the active admins, as a staff change takes them (lockActiveAdmins, id order): a
    // change then waits for this creation or this for it (holding the two people alone, in
    // their id order, deadlocked against a deactivation holding the admins on PostgreSQL).
    // Then the owner and the maker, as they stand now and held: a deactivation or a role
    // change racing this creation comes wholly before it (refused here, including scopes the
    // owner's role no longer allows) or after it (which revokes or cuts this token).
    await lockActiveAdmins(trx, ctx.dialect);
    const people = [...new Set([owner.id, ...(actor.type === 'staff' && actor.id ? [actor.id] : [])])].sort();
    let maker: Account | null = null;
    for (const personID of people) {
      const person = await findAccountHeld(trx, ctx.dialect, 'staff', personID);
      if (!person?.active) throw new AppError('invalid_input', 'Tokens belong to active staff members, made by active staff members');
      const beyond = personID === owner.id ? input.scopes.filter((s) => !ROLE_SCOPES[person.role!].includes(s as Scope)) : [];
      if (beyond.length) throw new AppError('invalid_input', `A ${person.role} cannot hold: ${beyond.join(', ')}`);
      if (actor.type === 'staff' && personID === actor.id) maker = person;
    }
    await trx
      .insertInto('api_tokens')
      .values({ id, staff_id: owner.id, name: input.name, token_hash: hashToken(token), scopes: JSON.stringify([...new Set(input.scopes)]), created_at: now.toISOString(), expires_at: expiresAt, last_used_at: null, revoked_at: null, created_by: actor.type === 'staff' ? actor.id : null })
      .execute();
    await appendAuditEvent(ctx, trx, { actor, action: 'api_token.created', staffID: owner.id, meta, details: { tokenId: id, name: input.name, scopes: input.scopes, expiresAt } });
    // Who made it, by name: a token acts in its owner's name, and one made in a colleague's
    // name must not leave the admins (or the colleague) to guess who did it.
    const by = actor.type === 'cli' ? 'an operator on the server (CLI)' : maker ? `${maker.name} (${maker.email})` : 'an admin';
    const what = `with scopes: ${input.scopes.join(', ')}. It expires ${expiresAt.slice(0, 10)}.`;
    for (const admin of (await listStaff(trx)).filter((s) => s.role === 'admin' && s.active)) {
      await ctx.mailer.enqueue(
        trx,
        templates.adminAlert(admin.email, `API token "${input.name}" created`, [`An API token "${input.name}" for ${owner.name} (${owner.email}) was created by ${by} ${what}`], { at: now, ...meta, actor: by }),
      );
    }
    // The owner, when someone else made it: whatever it does is recorded in their name.
    if (!(actor.type === 'staff' && actor.id === owner.id)) {
      await ctx.mailer.enqueue(
        trx,
        templates.adminAlert(owner.email, 'An API token was created in your name', [`An API token "${input.name}" was created in your name by ${by} ${what} Whatever it does is recorded as done with your token.`], { at: now, ...meta, actor: by }),
      );
    }
  });
  return { id, token, expiresAt, scopes: input.scopes };
}

function present(r: { id: string; staff_id: string; created_by: string | null; name: string; scopes: string; created_at: string; expires_at: string; last_used_at: string | null; revoked_at: string | null }): APIToken {
  return { id: r.id, staffId: r.staff_id, createdBy: r.created_by, name: r.name, scopes: JSON.parse(r.scopes), createdAt: r.created_at, expiresAt: r.expires_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at };
}

export interface APITokenPage {
  items: APIToken[];
  nextCursor: string | null;
}

/**
 * API tokens, newest first, keyset-paged on the id: ids are time-sortable (`generateID` from the
 * same instant as `created_at`, then random) and unique, so id order is created_at-then-id order
 * and a page never repeats or skips a token that existed when the first page was read. The
 * cursor is the id of the last item of the page before; any other cursor is 400 invalid_input.
 */
export async function listAPITokens(ctx: Context, page: { limit: number; cursor?: string }): Promise<APITokenPage> {
  const before = idCursor('tok', page.cursor);
  let q = ctx.db.selectFrom('api_tokens').selectAll();
  if (before) q = q.where('id', '<', before);
  const rows = await q.orderBy('id', 'desc').limit(page.limit + 1).execute();
  const items = rows.slice(0, page.limit).map(present);
  return { items, nextCursor: rows.length > page.limit ? items[items.length - 1].id : null };
}

/**
 * Revokes a token, and with it what it issued that has not taken effect (PRODUCT.md §4: a
 * change must not outlive the authority that made it): the waiting-period changes it
 * scheduled are cancelled (each person emailed, their ticket noted), the temporary access
 * codes it issued that still work are voided (each person emailed), and the bulk resets it
 * started that are still queued or running are cancelled. All in the revocation's
 * transaction, after the one conditional write that decides it; an action the token is
 * committing at that moment holds the token's row (lockTarget), so it comes wholly before
 * (and is cancelled here) or after (and is refused).
 */
export async function revokeAPIToken(ctx: Context, actor: Actor, id: string, meta: RequestMeta): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const r = await trx.updateTable('api_tokens').set({ revoked_at: ctx.clock.now().toISOString() }).where('id', '=', id).where('revoked_at', 'is', null).returning(['staff_id']).executeTakeFirst();
    if (!r) throw new AppError('not_found', 'No active API token has this id');
    // Bulk jobs first, audit entries last (recovery/ended-authority.ts says why).
    const ended = tokenAuthority(id);
    const entries: AuditEntry[] = [];
    const bulkJobsCancelled = await cancelBulkJobsStartedBy(ctx, trx, ended, 'the API token that started it was revoked', meta, entries);
    const pendingActionsCancelled = await cancelPendingActionsOf(ctx, trx, ended, meta, entries);
    const codesVoidedFor = await voidTemporaryCodesIssuedBy(ctx, trx, ended, meta);
    await appendAuditEvents(ctx, trx, entries);
    await appendAuditEvent(ctx, trx, {
      actor,
      action: 'api_token.revoked',
      staffID: r.staff_id,
      meta,
      details: { tokenId: id, pendingActionsCancelled, temporaryCodesVoided: codesVoidedFor.length, temporaryCodesVoidedFor: codesVoidedFor, bulkJobsCancelled },
    });
  });
}

/**
 * Holds, in the caller's transaction, whoever acts for a request, and checks they still may:
 * their rights were checked on a read from before the transaction, and a revocation,
 * deactivation or demotion racing the action must come wholly before it (refused here) or
 * after it (and then cancels or voids what it left, see revokeAPIToken and updateStaffMember).
 * - a staff member: active, with a role `may` allows (else 403);
 * - an API token: not revoked nor expired (else 401, as the token's next request), its owner
 *   and, for a token made for someone else, its maker active with a role `may` allows (else
 *   403; the token holds only what both roles allow, see resolveAPIToken).
 * The CLI and the system are not checked. On PostgreSQL the people are held (FOR SHARE) in the
 * order a staff change takes them (the active admins in id order, then the others), and the
 * token's row after them, as a deactivation updates the person and then their tokens; so the
 * two wait for each other instead of deadlocking.
 */
export async function holdActingAuthority(ctx: Context, trx: Executor, actor: Actor, may: (role: StaffRole) => boolean, doing: string): Promise<void> {
  if (!actor.id || (actor.type !== 'staff' && actor.type !== 'token')) return;
  let people = [actor.id];
  if (actor.type === 'token') {
    // Its owner and maker never change: a plain read finds them.
    const token = await trx.selectFrom('api_tokens').select(['staff_id', 'created_by']).where('id', '=', actor.id).executeTakeFirst();
    if (!token) throw new AppError('unauthenticated', 'The API token is not valid, expired or revoked');
    people = [...new Set([token.staff_id, ...(token.created_by ? [token.created_by] : [])])];
  }
  const roles = new Map((await trx.selectFrom('staff').select(['id', 'role', 'active']).where('id', 'in', people).execute()).map((p) => [p.id, p.role === 'admin' && p.active === 1]));
  people.sort((a, b) => Number(roles.get(b) ?? false) - Number(roles.get(a) ?? false) || (a < b ? -1 : a > b ? 1 : 0));
  for (const personID of people) {
    const person = await findAccountHeld(trx, ctx.dialect, 'staff', personID);
    if (!person?.active || !may(person.role!)) {
      throw new AppError('forbidden', actor.type === 'token' ? `The role or status of this API token's owner or maker has just changed: it can no longer ${doing}` : `Your role or status has just changed: you can no longer ${doing}`);
    }
  }
  if (actor.type === 'token') {
    const q = trx.selectFrom('api_tokens').select(['revoked_at', 'expires_at']).where('id', '=', actor.id);
    const token = await (ctx.dialect === 'postgres' ? q.forShare() : q).executeTakeFirst();
    if (!token || token.revoked_at || token.expires_at <= ctx.clock.now().toISOString()) throw new AppError('unauthenticated', 'The API token is not valid, expired or revoked');
  }
}

/**
 * Who acted, in words for an admin's alert: a staff member or an API token's owner (and its
 * maker, when someone else made it) by name and address, the CLI as such. "An admin" alone let
 * whoever started an incident tool go unnamed to the admins who must judge it.
 */
export async function actorInWords(trx: Executor, actor: Actor): Promise<string> {
  if (actor.type === 'cli') return 'an operator on the server (CLI)';
  if (!actor.id || (actor.type !== 'staff' && actor.type !== 'token')) return 'Portico';
  const person = async (id: string) => {
    const p = await trx.selectFrom('staff').select(['name', 'email']).where('id', '=', id).executeTakeFirst();
    return p ? `${p.name} (${p.email})` : `staff member ${id}`;
  };
  if (actor.type === 'staff') return person(actor.id);
  const token = await trx.selectFrom('api_tokens').select(['name', 'staff_id', 'created_by']).where('id', '=', actor.id).executeTakeFirst();
  if (!token) return `API token ${actor.id}`;
  const made = token.created_by && token.created_by !== token.staff_id ? `, made by ${await person(token.created_by)}` : '';
  return `the API token "${token.name}" of ${await person(token.staff_id)}${made}`;
}

/**
 * Revokes every token of a staff member (deactivation), and every token they made for someone
 * else: a deactivated admin must not keep acting through a token in a colleague's name.
 * Returns how many.
 */
export async function revokeStaffTokens(ctx: Context, trx: Executor, staffID: string): Promise<number> {
  const r = await trx
    .updateTable('api_tokens')
    .set({ revoked_at: ctx.clock.now().toISOString() })
    .where((eb) => eb.or([eb('staff_id', '=', staffID), eb('created_by', '=', staffID)]))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * Resolves a bearer token: found by its hash (so the token itself is never compared), live,
 * its owner active; the scopes it holds are those its owner's current role still allows. A
 * token an admin made for someone else also holds only what its creator's current role allows,
 * and dies with the creator's deactivation: it must not outlive the authority that made it.
 */
export async function resolveAPIToken(ctx: Context, token: string): Promise<{ account: Account; id: string; scopes: string[]; createdBy: string | null } | null> {
  if (!token.startsWith('pt_') || token.length > 100) return null;
  const now = ctx.clock.now();
  const row = await ctx.db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirst();
  if (!row || row.revoked_at || row.expires_at <= now.toISOString()) return null;
  const account = await findAccountByID(ctx.db, 'staff', row.staff_id);
  if (!account || !account.active) return null;
  if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() > 60_000) {
    await ctx.db.updateTable('api_tokens').set({ last_used_at: now.toISOString() }).where('id', '=', row.id).execute();
  }
  let allowed = ROLE_SCOPES[account.role!];
  if (row.created_by !== null && row.created_by !== row.staff_id) {
    const creator = await findAccountByID(ctx.db, 'staff', row.created_by);
    if (!creator || !creator.active) return null;
    const creatorScopes = ROLE_SCOPES[creator.role!];
    allowed = allowed.filter((s) => creatorScopes.includes(s));
  }
  const scopes = (JSON.parse(row.scopes) as string[]).filter((s) => allowed.includes(s as Scope));
  return { account, id: row.id, scopes, createdBy: row.created_by };
}
