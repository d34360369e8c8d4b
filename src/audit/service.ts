import type { AuditAction } from './actions.js';
import type { Context, RequestMeta } from '../context.js';
import type { Executor } from '../db/index.js';
import type { AuditEventsTable } from '../db/types.js';
import { generateID } from '../crypto/random.js';
import { constantTimeEqual } from '../crypto/hash.js';
import { prepared, type Params } from '../db/prepared.js';
import { insertSet } from '../db/sets.js';
import { GENESIS_HASH, chainHash } from './chain.js';

export type ActorType = AuditEventsTable['actor_type'];

export interface Actor {
  type: ActorType;
  id: string | null;
}

export interface AuditEntry {
  actor: Actor;
  action: AuditAction;
  contactID?: string | null;
  staffID?: string | null;
  reason?: string | null;
  verification?: Record<string, unknown> | null;
  meta?: RequestMeta;
  /** Never a secret, code or token. */
  details?: Record<string, unknown> | null;
}

export interface AuditEvent {
  id: string;
  at: string;
  actor: { type: ActorType; id: string | null };
  contactId: string | null;
  staffId: string | null;
  action: string;
  reason: string | null;
  verification: Record<string, unknown> | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown> | null;
}

export function toAuditEvent(r: AuditEventsTable): AuditEvent {
  return {
    id: r.id,
    at: r.at,
    actor: { type: r.actor_type, id: r.actor_id },
    contactId: r.contact_id,
    staffId: r.staff_id,
    action: r.action,
    reason: r.reason,
    verification: r.verification ? JSON.parse(r.verification) : null,
    ip: r.ip,
    userAgent: r.user_agent,
    details: r.details ? JSON.parse(r.details) : null,
  };
}

/**
 * Appends one entry to the chain. Call it inside the transaction that makes the change it
 * records, so the change and its record commit together. The head row's update takes a row
 * lock on PostgreSQL (and SQLite serialises writers), so concurrent appends queue up and the
 * chain never forks.
 */
export async function appendAuditEvent(ctx: Context, trx: Executor, entry: AuditEntry): Promise<string> {
  if (!trx.isTransaction) {
    return ctx.db.transaction().execute((t) => appendAuditEvent(ctx, t, entry));
  }
  const [id] = await appendAuditEvents(ctx, trx, [entry]);
  return id;
}

/** The stored row of an entry at a place in the chain (everything but its hash). */
function toRow(entry: AuditEntry, seq: number, prevHash: string, now: Date): Omit<AuditEventsTable, 'hash'> {
  return {
    seq,
    id: generateID('ev', now),
    at: now.toISOString(),
    actor_type: entry.actor.type,
    actor_id: entry.actor.id,
    contact_id: entry.actor.type === 'contact' ? ownAccount(entry) : (entry.contactID ?? null),
    staff_id: entry.staffID ?? null,
    action: entry.action,
    reason: entry.reason ?? null,
    verification: entry.verification ? JSON.stringify(entry.verification) : null,
    ip: entry.meta?.ip ?? null,
    user_agent: entry.meta?.userAgent?.slice(0, 512) ?? null,
    details: entry.details ? JSON.stringify(entry.details) : null,
    prev_hash: prevHash,
  };
}

/**
 * The contact_id of an event a contact did: the contact itself. A contact acts only on its own
 * account, and the audit log finds a contact's own acts through the index by contact (the
 * index by actor leaves them out: migration 010).
 */
function ownAccount(entry: AuditEntry): string | null {
  if (entry.contactID != null && entry.contactID !== entry.actor.id) throw new Error(`audit: contact ${entry.actor.id} recorded as acting on ${entry.contactID}`);
  return entry.actor.id;
}

// Every sign-in appends an entry: these statements are built once (src/db/prepared.ts).
const reserveQuery = prepared<{ n: number }, { seq: number; hash: string }>((db, p) =>
  db
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb('seq', '+', p.n) }))
    .where('id', '=', 1)
    .returning(['seq', 'hash']),
);
const setHeadQuery = prepared<{ hash: string }, never>((db, p) => db.updateTable('audit_head').set({ hash: p.hash }).where('id', '=', 1));
const advanceHeadQuery = prepared<{ seq: number; hash: string; fromSeq: number; fromHash: string }, never>((db, p) =>
  db.updateTable('audit_head').set({ seq: p.seq, hash: p.hash }).where('id', '=', 1).where('seq', '=', p.fromSeq).where('hash', '=', p.fromHash),
);
/** Every column of an entry, each its own parameter. */
const entryValues = (p: Params<AuditEventsTable>): AuditEventsTable => ({
  seq: p.seq, id: p.id, at: p.at, actor_type: p.actor_type, actor_id: p.actor_id, contact_id: p.contact_id, staff_id: p.staff_id, action: p.action,
  reason: p.reason, verification: p.verification, ip: p.ip, user_agent: p.user_agent, details: p.details, prev_hash: p.prev_hash, hash: p.hash,
});
const insertOneQuery = prepared<AuditEventsTable, never>((db, p) => db.insertInto('audit_events').values(entryValues(p)));

/**
 * PostgreSQL: the entry's insert and the head's new hash in one statement (a data-modifying
 * WITH runs exactly once, whatever the outer statement reads).
 */
const insertOneSettingHeadQuery = prepared<AuditEventsTable, never>((db, p) =>
  db
    .with('appended', (w) => w.insertInto('audit_events').values(entryValues(p)).returning('seq'))
    .updateTable('audit_head')
    .set({ hash: p.hash })
    .where('id', '=', 1),
);

interface Head {
  seq: number;
  hash: string;
}

/**
 * The head as this runtime last wrote it, by context: only a guess. It lets an append write
 * the head once, seq and hash together and only if the head is still exactly that, instead of
 * reserving its seq and then setting the hash (two writes, the first with RETURNING). Whenever
 * the guess is stale (another process appended, or the transaction that wrote it rolled back),
 * that write changes nothing and the append reserves as before: the chain never forks
 * (test/audit.chain-never-forks-when-appends-race-or-roll-back.test.ts).
 */
const lastHeads = new WeakMap<Context, Head>();

/** The rows of entries appended after `from`, each linked to the one before. */
function chained(ctx: Context, entries: AuditEntry[], from: Head, now: Date): AuditEventsTable[] {
  let prev = from.hash;
  let seq = from.seq;
  return entries.map((entry) => {
    const row = toRow(entry, ++seq, prev, now);
    prev = chainHash(ctx.keys.audit, row);
    return { ...row, hash: prev };
  });
}

/** The head moved past the entries in one write, when this runtime's guess of it is right. */
async function moveHeadFromGuess(ctx: Context, trx: Executor, entries: AuditEntry[], now: Date): Promise<AuditEventsTable[] | null> {
  const guess = lastHeads.get(ctx);
  if (!guess) return null;
  const rows = chained(ctx, entries, guess, now);
  const end = rows[rows.length - 1];
  const moved = await advanceHeadQuery.affected(trx, { seq: end.seq, hash: end.hash, fromSeq: guess.seq, fromHash: guess.hash });
  return moved === 1 ? rows : null;
}

/** The head moved past the entries by reserving their seqs (a row lock on PostgreSQL), then setting the hash. */
async function moveHeadByReserving(ctx: Context, trx: Executor, entries: AuditEntry[], now: Date): Promise<AuditEventsTable[]> {
  const head = await reserveQuery.first(trx, { n: entries.length });
  if (!head) throw new Error('the audit head row is missing');
  const rows = chained(ctx, entries, { seq: Number(head.seq) - entries.length, hash: head.hash }, now);
  await setHeadQuery.affected(trx, { hash: rows[rows.length - 1].hash });
  return rows;
}

/**
 * Appends entries in order (one, or a bulk job's batch): the head moves past them first (its
 * row lock on PostgreSQL, or SQLite's one writer, queues concurrent appends, so the chain never
 * forks), the chain is computed here, and the rows go in with multi-row inserts. Must run
 * inside the transaction of the change they record. Returns the new entries' ids.
 */
export async function appendAuditEvents(ctx: Context, trx: Executor, entries: AuditEntry[]): Promise<string[]> {
  if (!entries.length) return [];
  if (!trx.isTransaction) throw new Error('appendAuditEvents must run inside a transaction');
  const now = ctx.clock.now();
  if (ctx.dialect === 'postgres' && entries.length === 1) return [await appendOneOnPostgres(ctx, trx, entries[0], now)];
  const rows = (await moveHeadFromGuess(ctx, trx, entries, now)) ?? (await moveHeadByReserving(ctx, trx, entries, now));
  if (rows.length === 1) await insertOneQuery.affected(trx, rows[0]);
  else await insertSet(trx, ctx.dialect, 'audit_events', rows, { seq: 'bigint' });
  const end = rows[rows.length - 1];
  lastHeads.set(ctx, { seq: end.seq, hash: end.hash });
  return rows.map((r) => r.id);
}

/**
 * One entry on PostgreSQL, with the head's row lock held for two statements: the reservation
 * (which takes the lock and returns the head), then the entry's insert and the head's new hash
 * in one statement. Every append of every connection queues on that lock until its transaction
 * commits, so the time each holds it bounds how many sign-ins a second can commit (each
 * statement there is a round trip through a busy event loop). The guess that saves a write on
 * SQLite (moveHeadFromGuess) costs here when appends overlap: a stale guess waits for the lock,
 * finds the head moved, and queues again to reserve. In bench/second-step.ts on PostgreSQL,
 * alternated with the code before: 311–378 against 254–321 verified sign-ins a second, and
 * 1.4–1.7 against 1.6–2.1 ms of event loop each (bench/README.md, session 16).
 */
async function appendOneOnPostgres(ctx: Context, trx: Executor, entry: AuditEntry, now: Date): Promise<string> {
  const head = await reserveQuery.first(trx, { n: 1 });
  if (!head) throw new Error('the audit head row is missing');
  const [row] = chained(ctx, [entry], { seq: Number(head.seq) - 1, hash: head.hash }, now);
  await insertOneSettingHeadQuery.affected(trx, row);
  // A bulk job's batches still start from the guess (appendAuditEvents).
  lastHeads.set(ctx, { seq: row.seq, hash: row.hash });
  return row.id;
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  headHash: string;
  firstBrokenId?: string;
  problem?: string;
}

/**
 * Recomputes the chain in pages (a million entries never sit in memory at once). Detects an
 * edited entry, a deleted or reordered entry, a deleted tail that the head row still
 * remembers, and an entry written beyond the head. A truncation that also rewrote the head
 * needs the head hash recorded elsewhere.
 *
 * It runs beside the traffic that appends, without a snapshot (a long read transaction would
 * hold up every writer on SQLite). So the head is read first: an entry commits with the head
 * that names it, so every entry up to that head is there to read, and the check covers those;
 * entries appended while it runs lie beyond it and are left to the next check. Reading the
 * head last, as before, counted those as "deleted from the end" under ordinary sign-in traffic.
 */
export async function verifyAuditChain(ctx: Context): Promise<VerifyResult> {
  // The chain runs from seq 1; the pages below read from there. An entry slipped in below it
  // (0, negative, or NULL, which SQLite allows in this key) would still show in the lists.
  const outside = await ctx.db
    .selectFrom('audit_events')
    .select('id')
    .where((eb) => eb.or([eb('seq', '<', 1), eb('seq', 'is', null)]))
    .limit(1)
    .executeTakeFirst();
  if (outside) return { ok: false, checked: 0, headHash: GENESIS_HASH, firstBrokenId: outside.id, problem: `entry ${outside.id} is outside the chain (its seq is below 1)` };
  const head = await readHead(ctx.db);
  const end = Number(head.seq);
  const PAGE = 2000;
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  let after = 0;
  for (;;) {
    const rows = await ctx.db.selectFrom('audit_events').selectAll().where('seq', '>', after).where('seq', '<=', end).orderBy('seq').limit(PAGE).execute();
    for (const raw of rows) {
      const r = { ...raw, seq: Number(raw.seq) };
      const { hash, ...rest } = r;
      if (r.seq !== expectedSeq) {
        return { ok: false, checked, headHash: prev, firstBrokenId: r.id, problem: `entry ${expectedSeq} is missing before ${r.id}` };
      }
      if (r.prev_hash !== prev || !constantTimeEqual(chainHash(ctx.keys.audit, rest), hash)) {
        return { ok: false, checked, headHash: prev, firstBrokenId: r.id, problem: `entry ${r.id} does not match its hash` };
      }
      prev = hash;
      expectedSeq++;
      checked++;
      after = r.seq;
    }
    if (rows.length < PAGE) break;
  }
  if (checked !== end) {
    return { ok: false, checked, headHash: prev, problem: `the log ends at entry ${checked} but ${end} were written: entries were deleted from the end` };
  }
  if (head.hash !== prev) {
    return { ok: false, checked, headHash: prev, problem: `the head names another entry ${end} than the log holds: the end of the log was rewritten` };
  }
  // Nothing written past the chain: the last entry first, then the head, so that an entry
  // appended in between is under the head read after it.
  const last = await ctx.db.selectFrom('audit_events').select(['id', 'seq']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  const headNow = await readHead(ctx.db);
  if (last && Number(last.seq) > Number(headNow.seq)) {
    return { ok: false, checked, headHash: prev, firstBrokenId: last.id, problem: `entry ${last.id} lies beyond the head (entry ${Number(headNow.seq)}): it was written outside the chain` };
  }
  return { ok: true, checked, headHash: prev };
}

async function readHead(db: Executor): Promise<{ seq: number | string; hash: string }> {
  return db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
}
