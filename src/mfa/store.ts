import { sql, type Selectable } from 'kysely';
import { isUniqueViolation, takeAdvisoryLock, type Dialect, type Executor } from '../db/index.js';
import { prepared } from '../db/prepared.js';
import type { MFAFactorsTable, RememberedDevicesTable } from '../db/types.js';

export type OwnerKind = 'contact' | 'staff';
export type FactorType = MFAFactorsTable['type'];

export interface Owner {
  kind: OwnerKind;
  id: string;
}

export interface Factor {
  id: string;
  owner: Owner;
  type: FactorType;
  name: string;
  status: 'pending' | 'active';
  secretSealed: string | null;
  lastUsedStep: number | null;
  credentialID: string | null;
  publicKey: string | null;
  counter: number | null;
  transports: string[];
  aaguid: string | null;
  deviceType: string | null;
  backedUp: boolean | null;
  createdAt: string;
  lastUsedAt: string | null;
}

function toFactor(r: Selectable<MFAFactorsTable>): Factor {
  return {
    id: r.id,
    owner: { kind: r.owner_kind, id: r.owner_id },
    type: r.type,
    name: r.name,
    status: r.status,
    secretSealed: r.secret_sealed,
    lastUsedStep: r.last_used_step === null ? null : Number(r.last_used_step),
    credentialID: r.credential_id,
    publicKey: r.public_key,
    counter: r.counter === null ? null : Number(r.counter),
    transports: r.transports ? JSON.parse(r.transports) : [],
    aaguid: r.aaguid,
    deviceType: r.device_type,
    backedUp: r.backed_up === null ? null : r.backed_up === 1,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
  };
}

/** A unique-index violation on a factor's credential id, as SQLite or PostgreSQL reports it. */
export function isCredentialIDTaken(error: unknown): boolean {
  if (!isUniqueViolation(error)) return false;
  // SQLite names the column in its message, PostgreSQL the index in `constraint`.
  const e = error as { message?: unknown; constraint?: unknown };
  return (typeof e.message === 'string' && e.message.includes('mfa_factors.credential_id')) || (typeof e.constraint === 'string' && e.constraint.includes('credential_id'));
}

export async function insertFactor(db: Executor, f: MFAFactorsTable): Promise<void> {
  await db.insertInto('mfa_factors').values(f).execute();
}

export async function findFactor(db: Executor, owner: Owner, id: string): Promise<Factor | null> {
  const r = await db
    .selectFrom('mfa_factors')
    .selectAll()
    .where('id', '=', id)
    .where('owner_kind', '=', owner.kind)
    .where('owner_id', '=', owner.id)
    .executeTakeFirst();
  return r ? toFactor(r) : null;
}

// The second step reads the active factors, the challenge and the account state, and uses a
// TOTP step: built once (src/db/prepared.ts), as every sign-in runs them.
const activeFactorsQuery = prepared<{ kind: OwnerKind; id: string }, MFAFactorsTable>((db, p) =>
  db.selectFrom('mfa_factors').selectAll().where('owner_kind', '=', p.kind).where('owner_id', '=', p.id).where('status', '=', 'active').orderBy('created_at'),
);

export async function listFactors(db: Executor, owner: Owner, status: 'active' | 'pending' | 'any' = 'active'): Promise<Factor[]> {
  if (status === 'active') return (await activeFactorsQuery.all(db, { kind: owner.kind, id: owner.id })).map(toFactor);
  let q = db.selectFrom('mfa_factors').selectAll().where('owner_kind', '=', owner.kind).where('owner_id', '=', owner.id);
  if (status !== 'any') q = q.where('status', '=', status);
  const rows = await q.orderBy('created_at').execute();
  return rows.map(toFactor);
}

export async function countActiveFactors(db: Executor, owner: Owner): Promise<number> {
  const r = await db
    .selectFrom('mfa_factors')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('owner_kind', '=', owner.kind)
    .where('owner_id', '=', owner.id)
    .where('status', '=', 'active')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * Serializes the transactions that change one person's MFA and decide on their factors (staff
 * toolkit actions, self-service removal, enrollment), so that two of them racing end in one of
 * the serial orders (PRODUCT.md §7): called first in the transaction, before anything the
 * decision rests on is read; returns the owner's active factors as they are once it holds.
 *
 * PostgreSQL (READ COMMITTED): a transaction-scoped advisory lock keyed by the owner queues
 * every such transaction of this person behind the one running (two removals of the last two
 * factors can no longer both count two). Then the active factor rows are read FOR UPDATE, so a
 * change by a transaction that does not take the lock (a bulk reset batch, a sign-in recording a
 * TOTP step) is waited for and seen, a row it deleted skipped. An advisory lock rather than the
 * owner's mfa_accounts row: sign-in and bulk resets write factor rows before that row, and
 * taking it first here would make deadlocks with them; the advisory lock is only ever taken
 * first, so waiting for it never holds up anyone else. Taking it again in the same transaction
 * is harmless (it stacks).
 *
 * SQLite: a transaction holds the only connection, so transactions already run one at a time.
 */
export async function lockMFAOwner(db: Executor, dialect: Dialect, owner: Owner): Promise<Factor[]> {
  if (dialect === 'sqlite') return listFactors(db, owner);
  await takeMFAAdvisoryLock(db, owner);
  const rows = await db
    .selectFrom('mfa_factors')
    .selectAll()
    .where('owner_kind', '=', owner.kind)
    .where('owner_id', '=', owner.id)
    .where('status', '=', 'active')
    .orderBy('created_at')
    .forUpdate()
    .execute();
  return rows.map(toFactor);
}

/** PostgreSQL: the person's MFA advisory lock (see lockMFAOwner), held until the transaction ends. */
export async function takeMFAAdvisoryLock(db: Executor, owner: Owner): Promise<void> {
  await takeAdvisoryLock(db, `portico.mfa:${owner.kind}:${owner.id}`);
}

/** Activates a pending factor; the row count says whether this request did it. */
export async function activateFactor(db: Executor, owner: Owner, id: string, name: string, step: number | null, at: string): Promise<boolean> {
  const r = await db
    .updateTable('mfa_factors')
    .set({ status: 'active', name, last_used_step: step, last_used_at: at })
    .where('id', '=', id)
    .where('owner_kind', '=', owner.kind)
    .where('owner_id', '=', owner.id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Records a TOTP step as used. One conditional UPDATE decides: a step at or below the last one
 * accepted is a replay, and of two requests racing with the same code only one matches.
 */
const consumeStepQuery = prepared<{ factorID: string; step: number; at: string }, never>((db, p) =>
  db
    .updateTable('mfa_factors')
    .set({ last_used_step: p.step, last_used_at: p.at })
    .where('id', '=', p.factorID)
    .where('status', '=', 'active')
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', p.step)])),
);

export async function consumeTOTPStep(db: Executor, factorID: string, step: number, at: string): Promise<boolean> {
  return (await consumeStepQuery.affected(db, { factorID, step, at })) === 1;
}

/** Advances a WebAuthn signature counter; refuses a counter that did not grow (a cloned key). */
export async function advanceWebAuthnCounter(db: Executor, factorID: string, oldCounter: number, newCounter: number, at: string): Promise<boolean> {
  const r = await db
    .updateTable('mfa_factors')
    .set({ counter: newCounter, last_used_at: at })
    .where('id', '=', factorID)
    .where('status', '=', 'active')
    .where('counter', '=', oldCounter)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function renameFactor(db: Executor, owner: Owner, id: string, name: string): Promise<boolean> {
  const r = await db
    .updateTable('mfa_factors')
    .set({ name })
    .where('id', '=', id)
    .where('owner_kind', '=', owner.kind)
    .where('owner_id', '=', owner.id)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function deleteFactor(db: Executor, owner: Owner, id: string): Promise<boolean> {
  const r = await db.deleteFrom('mfa_factors').where('id', '=', id).where('owner_kind', '=', owner.kind).where('owner_id', '=', owner.id).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** Removes factors by id (or all when `ids` is undefined); returns how many active ones went. */
export async function deleteFactors(db: Executor, owner: Owner, ids?: string[]): Promise<number> {
  if (ids && ids.length === 0) return 0;
  let q = db.deleteFrom('mfa_factors').where('owner_kind', '=', owner.kind).where('owner_id', '=', owner.id);
  if (ids) q = q.where('id', 'in', ids);
  const r = await q.where('status', '=', 'active').executeTakeFirst();
  // Pending enrollments of these ids go too, without counting.
  let p = db.deleteFrom('mfa_factors').where('owner_kind', '=', owner.kind).where('owner_id', '=', owner.id).where('status', '=', 'pending');
  if (ids) p = p.where('id', 'in', ids);
  await p.execute();
  return Number(r.numDeletedRows);
}

export async function findFactorByCredentialID(db: Executor, credentialID: string): Promise<Factor | null> {
  const r = await db.selectFrom('mfa_factors').selectAll().where('credential_id', '=', credentialID).executeTakeFirst();
  return r ? toFactor(r) : null;
}

// ------------------------------------------------------------------ recovery codes

export interface StoredRecoveryCode {
  id: string;
  codeHash: string;
}

export async function replaceRecoveryCodes(db: Executor, owner: Owner, codes: Array<{ id: string; hash: string }>, at: string): Promise<number> {
  const removed = await deleteRecoveryCodes(db, owner);
  if (codes.length) {
    await db
      .insertInto('recovery_codes')
      .values(codes.map((c) => ({ id: c.id, owner_kind: owner.kind, owner_id: owner.id, code_hash: c.hash, created_at: at, used_at: null })))
      .execute();
  }
  return removed;
}

/**
 * Deletes every recovery code; returns how many unused ones went, as the DELETE itself found
 * them. Counted beforehand, a code a sign-in used between the count and the delete (PostgreSQL,
 * READ COMMITTED) was reported voided as well: a regeneration's audit entry said 10 codes were
 * voided while the sign-in it raced had just used one of them.
 */
export async function deleteRecoveryCodes(db: Executor, owner: Owner): Promise<number> {
  const rows = await db.deleteFrom('recovery_codes').where('owner_kind', '=', owner.kind).where('owner_id', '=', owner.id).returning('used_at').execute();
  return rows.filter((r) => r.used_at === null).length;
}

export async function listUnusedRecoveryCodes(db: Executor, owner: Owner): Promise<StoredRecoveryCode[]> {
  const rows = await db
    .selectFrom('recovery_codes')
    .select(['id', 'code_hash'])
    .where('owner_kind', '=', owner.kind)
    .where('owner_id', '=', owner.id)
    .where('used_at', 'is', null)
    .execute();
  return rows.map((r) => ({ id: r.id, codeHash: r.code_hash }));
}

export async function countUnusedRecoveryCodes(db: Executor, owner: Owner): Promise<number> {
  const r = await db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('owner_kind', '=', owner.kind)
    .where('owner_id', '=', owner.id)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Uses a recovery code up: one conditional UPDATE; the row count decides who got it. */
export async function consumeRecoveryCode(db: Executor, owner: Owner, id: string, at: string): Promise<boolean> {
  const r = await db
    .updateTable('recovery_codes')
    .set({ used_at: at })
    .where('owner_kind', '=', owner.kind)
    .where('owner_id', '=', owner.id)
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

// ------------------------------------------------------------------ remembered devices

export type RememberedDevice = Selectable<RememberedDevicesTable>;

export async function insertRememberedDevice(db: Executor, d: RememberedDevicesTable): Promise<void> {
  await db.insertInto('remembered_devices').values(d).execute();
}

export async function findRememberedDevice(db: Executor, tokenHash: string): Promise<RememberedDevice | null> {
  return (await db.selectFrom('remembered_devices').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst()) ?? null;
}

export async function listRememberedDevices(db: Executor, owner: Owner, now: string): Promise<RememberedDevice[]> {
  return db
    .selectFrom('remembered_devices')
    .selectAll()
    .where('owner_kind', '=', owner.kind)
    .where('owner_id', '=', owner.id)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .execute();
}

export async function touchRememberedDevice(db: Executor, owner: Owner, id: string, at: string): Promise<void> {
  await db.updateTable('remembered_devices').set({ last_used_at: at }).where('owner_kind', '=', owner.kind).where('owner_id', '=', owner.id).where('id', '=', id).execute();
}

/** Forgets one device (by id) or all of an owner's; returns how many live ones went. */
export async function deleteRememberedDevices(db: Executor, owner: Owner, now: string, id?: string): Promise<number> {
  let q = db.deleteFrom('remembered_devices').where('owner_kind', '=', owner.kind).where('owner_id', '=', owner.id);
  if (id) q = q.where('id', '=', id);
  const live = await db
    .selectFrom('remembered_devices')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('owner_kind', '=', owner.kind)
    .where('owner_id', '=', owner.id)
    .where('expires_at', '>', now)
    .$if(id !== undefined, (qb) => qb.where('id', '=', id!))
    .executeTakeFirstOrThrow();
  await q.execute();
  return Number(live.n);
}

/**
 * Caps every live remembered device at `days` after it was remembered, for an admin's shorter
 * period: one remembered at or before `rememberedBy` (now less the period) is revoked, its
 * expiry set to `now` (housekeeping deletes it, as it does expired ones); the others end at
 * created_at + days when that is earlier than their own expiry. No expiry ever moves later.
 * Dates are ISO-8601 text, so the new expiry is computed in each engine's own date functions
 * and written in the same format (milliseconds, `Z`) that the text comparisons rely on.
 * Returns how many live devices were revoked and how many shortened.
 */
export async function capRememberedDevices(db: Executor, dialect: Dialect, days: number, now: string, rememberedBy: string): Promise<{ revoked: number; shortened: number }> {
  const revoked = await db
    .updateTable('remembered_devices')
    .set({ expires_at: now })
    .where('expires_at', '>', now)
    // With 0 days every live device goes, whatever its created_at says.
    .$if(days > 0, (qb) => qb.where('created_at', '<=', rememberedBy))
    .executeTakeFirst();
  if (days <= 0) return { revoked: Number(revoked.numUpdatedRows), shortened: 0 };
  // On PostgreSQL, in UTC without a time zone: a day added to a timestamptz follows the
  // session's time zone, where a daylight-saving change makes it 23 or 25 hours.
  const end =
    dialect === 'postgres'
      ? sql<string>`to_char((created_at::timestamptz at time zone 'UTC') + make_interval(days => ${days}), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
      : sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', created_at, ${`+${days} days`})`;
  const shortened = await db
    .updateTable('remembered_devices')
    .set({ expires_at: end })
    .where('expires_at', '>', now)
    .where(sql<boolean>`expires_at > ${end}`)
    .executeTakeFirst();
  return { revoked: Number(revoked.numUpdatedRows), shortened: Number(shortened.numUpdatedRows) };
}
