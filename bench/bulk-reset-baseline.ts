/**
 * The raw-SQL side of bench/bulk-reset.ts: the seeding of its datasets (not measured), and the
 * baseline the real job is measured against, which does the job's work in plain SQL.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import SQLite from 'better-sqlite3';
import type { Runtime } from '../src/runtime.js';
import { RESET_NOTICE_SUBJECT } from '../src/recovery/service.js';
import { bulkResetNotice } from '../src/recovery/bulk-notice.js';
import { chainHash } from '../src/audit/chain.js';
import { REVOKED } from '../src/sessions/store.js';
import { hashPassword } from '../src/crypto/password.js';
import { generateID } from '../src/crypto/random.js';
import { generateTOTPSecret } from '../src/mfa/totp.js';
import type { Context } from '../src/context.js';
import type { AuditEventsTable } from '../src/db/types.js';

// Each seeded contact's recovery codes and sessions; the baseline's contacts per transaction.
export const CODES = 10;
export const SESSIONS = 2;
const BATCH = 500;
const DAY = 86_400_000;

/** One of the bench's databases (bench/bulk-reset.ts makes them), as the code here reaches it. */
export interface Dataset {
  db: 'sqlite' | 'postgres';
  /** The SQLite file (SQLite only). */
  file: string;
  /** A runtime on it: migrates it, and holds the keys the rows are sealed and chained with. */
  openRuntime(): Promise<Runtime>;
  /** A client whose search path is its PostgreSQL schema (PostgreSQL only). */
  pgClient(): Promise<pg.Client>;
}

// ---------------------------------------------------------------------------------------------
// Seeding (not measured): raw inserts of N contacts with their factor, codes, sessions, device.

interface Rows {
  contacts: unknown[][];
  factors: unknown[][];
  codes: unknown[][];
  sessions: unknown[][];
  devices: unknown[][];
}

const hex = (b: Buffer, i: number, n = 32) => b.toString('hex', i * n, i * n + n);

function makeRows(ctx: Context, passwordHash: string, from: number, to: number): Rows {
  const now = new Date();
  const at = now.toISOString();
  const later = new Date(now.getTime() + 30 * DAY).toISOString();
  const n = to - from;
  const rnd = randomBytes(32 * n * (CODES + SESSIONS + 1));
  let r = 0;
  const rows: Rows = { contacts: [], factors: [], codes: [], sessions: [], devices: [] };
  for (let i = from; i < to; i++) {
    const id = generateID('ct', now);
    rows.contacts.push([id, `bulk${i}@example.com`, `Bench Contact ${i}`, passwordHash, at, at, at]);
    const fid = generateID('fa', now);
    rows.factors.push([fid, 'contact', id, 'totp', 'Phone', 'active', ctx.secretBox.seal(generateTOTPSecret(), fid), at]);
    for (let k = 0; k < CODES; k++) rows.codes.push([generateID('rc', now), 'contact', id, hex(rnd, r++), at]);
    for (let k = 0; k < SESSIONS; k++) rows.sessions.push([hex(rnd, r++), 'contact', id, 'full', at, at, later, '203.0.113.7', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0']);
    rows.devices.push([generateID('rd', now), 'contact', id, hex(rnd, r++), 'Firefox on Linux', '203.0.113.7', at, at, later]);
  }
  return rows;
}

const SEED_SQL = {
  contacts: 'INSERT INTO contacts (id, email, name, password_hash, email_verified_at, created_at, updated_at)',
  factors: 'INSERT INTO mfa_factors (id, owner_kind, owner_id, type, name, status, secret_sealed, created_at)',
  codes: 'INSERT INTO recovery_codes (id, owner_kind, owner_id, code_hash, created_at)',
  sessions: 'INSERT INTO sessions (id_hash, kind, subject_id, level, created_at, last_seen_at, expires_at, ip, user_agent)',
  devices: 'INSERT INTO remembered_devices (id, owner_kind, owner_id, token_hash, browser, ip, created_at, last_used_at, expires_at)',
} as const;

export async function seed(t: Dataset, count: number): Promise<number> {
  const started = performance.now();
  const rt = await t.openRuntime(); // migrates
  const ctx = rt.ctx;
  const passwordHash = await hashPassword('correct horse battery');
  const CHUNK = 5000;
  if (t.db === 'sqlite') {
    await rt.close();
    const raw = new SQLite(t.file);
    raw.pragma('journal_mode = WAL');
    const stmts = Object.fromEntries(
      Object.entries(SEED_SQL).map(([k, s]) => [k, raw.prepare(`${s} VALUES (${Array.from({ length: s.split(',').length }, () => '?').join(', ')})`)]),
    ) as Record<keyof Rows, SQLite.Statement>;
    const insert = raw.transaction((rows: Rows) => {
      for (const k of Object.keys(stmts) as Array<keyof Rows>) for (const r of rows[k]) stmts[k].run(...r);
    });
    for (let from = 0; from < count; from += CHUNK) insert(makeRows(ctx, passwordHash, from, Math.min(count, from + CHUNK)));
    raw.exec('ANALYZE');
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
  } else {
    const c = await t.pgClient();
    for (let from = 0; from < count; from += CHUNK) {
      const rows = makeRows(ctx, passwordHash, from, Math.min(count, from + CHUNK));
      await c.query('BEGIN');
      for (const k of Object.keys(SEED_SQL) as Array<keyof Rows>) {
        const width = rows[k][0].length;
        const cols = Array.from({ length: width }, (_, i) => rows[k].map((r) => r[i]));
        await c.query(`${SEED_SQL[k]} SELECT * FROM unnest(${cols.map((_, i) => `$${i + 1}::text[]`).join(', ')})`, cols);
      }
      await c.query('COMMIT');
    }
    await c.query('ANALYZE');
    await c.end();
    await rt.close();
  }
  return (performance.now() - started) / 1000;
}

// ---------------------------------------------------------------------------------------------
// The baseline: the same deletes and inserts in raw SQL, 500 contacts per transaction, no
// service layer, no Kysely, no job bookkeeping. The rows are the same: the same email
// rendering, the same audit chain HMAC, the same setup token.

function perBatchRows(ctx: Context, contacts: Array<{ id: string; email: string }>, removed: { factors: Map<string, number>; codes: Map<string, number>; devices: Map<string, number>; sessions: Map<string, number> }) {
  const now = new Date();
  const nowISO = now.toISOString();
  const emails: unknown[][] = [];
  const audit: Array<Omit<AuditEventsTable, 'hash' | 'seq' | 'prev_hash'>> = [];
  for (const c of contacts) {
    const f = removed.factors.get(c.id) ?? 0;
    emails.push([generateID('em', now), c.email, RESET_NOTICE_SUBJECT, '', '', bulkResetNotice({ contactId: c.id, factorsRemoved: f, at: nowISO, setup: true }), nowISO, nowISO, 1]);
    audit.push({
      id: generateID('ev', now),
      at: nowISO,
      actor_type: 'cli',
      actor_id: null,
      contact_id: c.id,
      staff_id: null,
      action: 'mfa.reset',
      reason: 'baseline',
      verification: JSON.stringify({ method: 'none' }),
      ip: null,
      user_agent: null,
      details: JSON.stringify({
        bulkJobId: 'baseline',
        factorsRemoved: f,
        recoveryCodesRemoved: removed.codes.get(c.id) ?? 0,
        rememberedDevicesRemoved: removed.devices.get(c.id) ?? 0,
        sessionsRevoked: removed.sessions.get(c.id) ?? 0,
        enrollmentRequired: true,
      }),
    });
  }
  const chain = (seq0: number, prev: string) => {
    const rows: AuditEventsTable[] = [];
    let seq = seq0;
    for (const a of audit) {
      const row = { ...a, seq: ++seq, prev_hash: prev };
      prev = chainHash(ctx.keys.audit, row);
      rows.push({ ...row, hash: prev });
    }
    return { rows, head: prev };
  };
  return { emails, chain };
}

const tally = (rows: Array<{ owner_id: string }>) => {
  const m = new Map<string, number>();
  for (const r of rows) m.set(r.owner_id, (m.get(r.owner_id) ?? 0) + 1);
  return m;
};
const AUDIT_COLS = ['seq', 'id', 'at', 'actor_type', 'actor_id', 'contact_id', 'staff_id', 'action', 'reason', 'verification', 'ip', 'user_agent', 'details', 'prev_hash', 'hash'] as const;
// In id order, as the job walks them (on SQLite a contact's rows are clustered by its id).
const ENROLLED = "SELECT id FROM contacts c WHERE EXISTS (SELECT 1 FROM mfa_factors f WHERE f.owner_kind = 'contact' AND f.owner_id = c.id AND f.status = 'active') ORDER BY id";
type Row = Record<string, unknown> & { owner_id: string };

export function baselineSQLite(t: Dataset, ctx: Context): number {
  const raw = new SQLite(t.file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  const started = performance.now();
  const ids = raw.prepare(ENROLLED).pluck().all() as string[];
  const list = (n: number) => Array.from({ length: n }, () => '?').join(',');
  const tuples = (cols: number, n: number) => Array.from({ length: n }, () => `(${list(cols)})`).join(',');
  const cache = new Map<string, SQLite.Statement>();
  const st = (s: string) => cache.get(s) ?? (cache.set(s, raw.prepare(s)), cache.get(s)!);
  const batch = raw.transaction((chunk: string[]) => {
    const n = chunk.length;
    const nowISO = new Date().toISOString();
    const contacts = st(`SELECT id, email FROM contacts WHERE id IN (${list(n)})`).all(...chunk) as Array<{ id: string; email: string }>;
    const del = (table: string, cols: string) => st(`DELETE FROM ${table} WHERE owner_kind = 'contact' AND owner_id IN (${list(n)}) RETURNING owner_id${cols}`).all(...chunk) as Row[];
    const factors = tally(del('mfa_factors', ', status').filter((r) => r.status === 'active'));
    // As the job does on SQLite: a grouped count, then the statement without RETURNING.
    const of = (owner: string) => `${owner === 'subject_id' ? 'kind' : 'owner_kind'} = 'contact' AND ${owner} IN (${list(n)})`;
    const count = (table: string, owner: string, live: string, ...args: string[]) =>
      new Map((st(`SELECT ${owner} AS owner, count(*) AS n FROM ${table} WHERE ${of(owner)} AND ${live} GROUP BY ${owner}`).all(...chunk, ...args) as Array<{ owner: string; n: number }>).map((r) => [r.owner, r.n]));
    const codes = count('recovery_codes', 'owner_id', 'used_at IS NULL');
    st(`DELETE FROM recovery_codes WHERE ${of('owner_id')}`).run(...chunk);
    const revoke = (table: string, owner: string) => {
      const counted = count(table, owner, 'expires_at > ?', nowISO);
      st(`UPDATE ${table} SET expires_at = '${REVOKED}' WHERE ${of(owner)} AND expires_at > ?`).run(...chunk, nowISO);
      return counted;
    };
    const devices = revoke('remembered_devices', 'owner_id');
    const sessions = revoke('sessions', 'subject_id');
    st(`UPDATE temporary_codes SET voided_at = ? WHERE owner_kind = 'contact' AND owner_id IN (${list(n)}) AND used_at IS NULL AND voided_at IS NULL`).run(nowISO, ...chunk);
    st(`UPDATE email_tokens SET used_at = ? WHERE purpose = 'mfa_setup' AND subject_kind = 'contact' AND subject_id IN (${list(n)}) AND used_at IS NULL`).run(nowISO, ...chunk);
    st(
      `INSERT INTO mfa_accounts (owner_kind, owner_id, failures, locked_until, hard_locked, enrollment_required, retire_factor_ids, setup_required, updated_at) VALUES ${Array.from({ length: n }, () => "('contact', ?, 0, NULL, 0, 0, NULL, 1, ?)").join(',')}
       ON CONFLICT (owner_kind, owner_id) DO UPDATE SET failures = 0, locked_until = NULL, hard_locked = 0, enrollment_required = 0, retire_factor_ids = NULL, setup_required = 1, updated_at = excluded.updated_at`,
    ).run(...chunk.flatMap((id) => [id, nowISO]));
    const b = perBatchRows(ctx, contacts, { factors, codes, devices, sessions });
    st(`INSERT INTO outbox (id, recipient, subject, text_body, html_body, rendered_at_delivery, created_at, next_attempt_at, priority) VALUES ${tuples(9, b.emails.length)}`).run(...b.emails.flat());
    const head = st('UPDATE audit_head SET seq = seq + ? WHERE id = 1 RETURNING seq, hash').get(contacts.length) as { seq: number; hash: string };
    const { rows, head: last } = b.chain(Number(head.seq) - contacts.length, head.hash);
    st(`INSERT INTO audit_events (${AUDIT_COLS.join(', ')}) VALUES ${tuples(AUDIT_COLS.length, rows.length)}`).run(...rows.flatMap((r) => AUDIT_COLS.map((c) => r[c])));
    st('UPDATE audit_head SET hash = ? WHERE id = 1').run(last);
  });
  for (let i = 0; i < ids.length; i += BATCH) batch(ids.slice(i, i + BATCH));
  const seconds = (performance.now() - started) / 1000;
  raw.close();
  return seconds;
}

export async function baselinePostgres(t: Dataset, ctx: Context): Promise<number> {
  const c = await t.pgClient();
  const started = performance.now();
  const ids = (await c.query<{ id: string }>(ENROLLED)).rows.map((r) => r.id);
  const columns = (rows: unknown[][], n: number) => Array.from({ length: n }, (_, i) => rows.map((r) => r[i]));
  for (let i = 0; i < ids.length; i += BATCH) {
    const chunk = ids.slice(i, i + BATCH);
    const nowISO = new Date().toISOString();
    await c.query('BEGIN');
    const contacts = (await c.query<{ id: string; email: string }>('SELECT id, email FROM contacts WHERE id = ANY($1::text[])', [chunk])).rows;
    // As the job does on PostgreSQL: sessions and devices are deleted too, and the RETURNING rows counted.
    const del = async (table: string, owner: string, live: string, args: unknown[] = []) =>
      (await c.query<Row>(`DELETE FROM ${table} WHERE ${owner === 'subject_id' ? 'kind' : 'owner_kind'} = 'contact' AND ${owner} = ANY($1::text[]) RETURNING ${owner} AS owner_id, ${live} AS live`, [chunk, ...args])).rows.filter((r) => r.live);
    const factors = tally(await del('mfa_factors', 'owner_id', "status = 'active'"));
    const codes = tally(await del('recovery_codes', 'owner_id', 'used_at IS NULL'));
    const devices = tally(await del('remembered_devices', 'owner_id', 'expires_at > $2', [nowISO]));
    const sessions = tally(await del('sessions', 'subject_id', 'expires_at > $2', [nowISO]));
    await c.query("UPDATE temporary_codes SET voided_at = $2 WHERE owner_kind = 'contact' AND owner_id = ANY($1::text[]) AND used_at IS NULL AND voided_at IS NULL", [chunk, nowISO]);
    await c.query("UPDATE email_tokens SET used_at = $2 WHERE purpose = 'mfa_setup' AND subject_kind = 'contact' AND subject_id = ANY($1::text[]) AND used_at IS NULL", [chunk, nowISO]);
    await c.query(
      `INSERT INTO mfa_accounts (owner_kind, owner_id, failures, locked_until, hard_locked, enrollment_required, retire_factor_ids, setup_required, updated_at)
       SELECT 'contact', id, 0, NULL, 0, 0, NULL, 1, $2 FROM unnest($1::text[]) AS u(id)
       ON CONFLICT (owner_kind, owner_id) DO UPDATE SET failures = 0, locked_until = NULL, hard_locked = 0, enrollment_required = 0, retire_factor_ids = NULL, setup_required = 1, updated_at = excluded.updated_at`,
      [chunk, nowISO],
    );
    const b = perBatchRows(ctx, contacts, { factors, codes, devices, sessions });
    await c.query(
      'INSERT INTO outbox (id, recipient, subject, text_body, html_body, rendered_at_delivery, created_at, next_attempt_at, priority) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[])',
      columns(b.emails, 9),
    );
    const head = (await c.query<{ seq: number; hash: string }>('UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash', [contacts.length])).rows[0];
    const { rows, head: last } = b.chain(Number(head.seq) - contacts.length, head.hash);
    await c.query(
      `INSERT INTO audit_events (${AUDIT_COLS.join(', ')}) SELECT * FROM unnest($1::bigint[], ${AUDIT_COLS.slice(1)
        .map((_, k) => `$${k + 2}::text[]`)
        .join(', ')})`,
      AUDIT_COLS.map((col) => rows.map((r) => r[col])),
    );
    await c.query('UPDATE audit_head SET hash = $1 WHERE id = 1', [last]);
    await c.query('COMMIT');
  }
  const seconds = (performance.now() - started) / 1000;
  await c.end();
  return seconds;
}
