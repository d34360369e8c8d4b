/**
 * Bulk MFA reset at scale: N enrolled contacts (default 100,000; each an active TOTP factor,
 * 10 recovery codes, 2 sessions and a remembered device) reset by the real job
 * (createBulkJob + BulkRunner, emails left queued in the outbox, to be rendered with their setup
 * link when sent), against a raw-SQL baseline
 * that does the same deletes and the same inserts in batches of 500 in transactions, on a
 * second identical dataset in the same run. Meanwhile the job runs inside a real HTTP server
 * (the same process, as deployed) and one client, a staff member's console, asks for
 * GET /api/v1/contacts?limit=50 (with and without a query) one request at a time, starting one at
 * most every 50 ms (`--poll-every 0`: back to back, a load test that also takes CPU from the
 * job), reporting p50/p95/p99 during the job.
 * Targets: real job <= 10 s on SQLite, <= 20 s on PostgreSQL; contacts-list p99 <= 200 ms.
 *
 *   npx tsx bench/bulk-reset.ts [--count 100000] [--db sqlite,postgres] [--pg postgres://…] [--max-seconds 300] [--poll-every 50]
 *
 * Seeding is not measured. Each dialect gets two fresh databases (a temp folder with SQLite
 * files, or two PostgreSQL schemas), removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { fork } from 'node:child_process';
import http from 'node:http';
import pg from 'pg';
import pino from 'pino';
import SQLite from 'better-sqlite3';
import type { FastifyBaseLogger } from 'fastify';
import { loadConfig, type Config } from '../src/config.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { buildApp } from '../src/app.js';
import { createStaffWithPassword } from '../src/accounts/staff.js';
import { createAPIToken } from '../src/sessions/api-tokens.js';
import { BulkRunner } from '../src/recovery/bulk.js';
import { createBulkJob } from '../src/recovery/bulk-targets.js';
import { RESET_NOTICE_SUBJECT } from '../src/recovery/service.js';
import { bulkResetNotice } from '../src/recovery/bulk-notice.js';
import { chainHash } from '../src/audit/chain.js';
import { REVOKED } from '../src/sessions/store.js';
import { hashPassword } from '../src/crypto/password.js';
import { generateID } from '../src/crypto/random.js';
import { generateTOTPSecret } from '../src/mfa/totp.js';
import type { Context } from '../src/context.js';
import type { AuditEventsTable } from '../src/db/types.js';
import { describeMachine, percentile, printTable } from './machine.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '100000' },
    db: { type: 'string', default: process.env.BENCH_DB ?? 'sqlite,postgres' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    'max-seconds': { type: 'string', default: '300' },
    poller: { type: 'boolean', default: false },
    // A staff member's console: one request at a time, at most one every this many ms (0: back to back, a load test).
    'poll-every': { type: 'string', default: '50' },
  },
});
const COUNT = Number(values.count);
const MAX_MS = Number(values['max-seconds']) * 1000;
const CODES = 10;
const SESSIONS = 2;
const BATCH = 500;
const DAY = 86_400_000;
type DBKind = 'sqlite' | 'postgres';

const loadAtStart = loadavg()[0];
const silent = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;

// ---------------------------------------------------------------------------------------------
// Databases: a config, a runtime, and raw access for seeding and for the baseline.

interface Target {
  db: DBKind;
  config: Config;
  schema?: string;
}

function makeTarget(db: DBKind, dir: string, name: string, key: string): Target {
  const schema = db === 'postgres' ? `bench_bulk_${name}_${randomBytes(4).toString('hex')}` : undefined;
  const config = loadConfig({
    PORTICO_DATA_DIR: join(dir, name),
    DATABASE_URL: db === 'postgres' ? values.pg! : `sqlite:${join(dir, name, 'portico.db')}`,
    PORTICO_SECRET_KEY: key,
    PUBLIC_URL: 'https://help.example.com',
    LOG_LEVEL: 'silent',
  });
  return { db, config, schema };
}

function openRuntime(t: Target): Promise<Runtime> {
  // No SMTP: mail would go to the file outbox, but the mailer is not started, so every email
  // stays queued; the runner is driven by hand below.
  return createRuntime(t.config, { log: silent, deliverMail: false, runJobs: false, database: t.schema ? { schema: t.schema } : undefined });
}

async function pgClient(t: Target): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: values.pg, options: `-c search_path="${t.schema}",public` });
  await c.connect();
  return c;
}

async function dropTarget(t: Target): Promise<void> {
  if (t.db !== 'postgres') return;
  const c = new pg.Client({ connectionString: values.pg });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${t.schema}" CASCADE`);
  await c.end();
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

async function seed(t: Target): Promise<number> {
  const started = performance.now();
  const rt = await openRuntime(t); // migrates
  const ctx = rt.ctx;
  const passwordHash = await hashPassword('correct horse battery');
  const CHUNK = 5000;
  if (t.db === 'sqlite') {
    await rt.close();
    const raw = new SQLite(t.config.databaseURL.slice('sqlite:'.length));
    raw.pragma('journal_mode = WAL');
    const stmts = Object.fromEntries(
      Object.entries(SEED_SQL).map(([k, s]) => [k, raw.prepare(`${s} VALUES (${Array.from({ length: s.split(',').length }, () => '?').join(', ')})`)]),
    ) as Record<keyof Rows, SQLite.Statement>;
    const insert = raw.transaction((rows: Rows) => {
      for (const k of Object.keys(stmts) as Array<keyof Rows>) for (const r of rows[k]) stmts[k].run(...r);
    });
    for (let from = 0; from < COUNT; from += CHUNK) insert(makeRows(ctx, passwordHash, from, Math.min(COUNT, from + CHUNK)));
    raw.exec('ANALYZE');
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
  } else {
    const c = await pgClient(t);
    for (let from = 0; from < COUNT; from += CHUNK) {
      const rows = makeRows(ctx, passwordHash, from, Math.min(COUNT, from + CHUNK));
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

interface Written {
  resets: number;
  emails: number;
  factorsLeft: number;
  /** Queued emails to be rendered (with their setup link) when sent. */
  renderedAtDelivery: number;
}

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

function baselineSQLite(t: Target, ctx: Context): number {
  const raw = new SQLite(t.config.databaseURL.slice('sqlite:'.length));
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

async function baselinePostgres(t: Target, ctx: Context): Promise<number> {
  const c = await pgClient(t);
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

async function written(rt: Runtime): Promise<Written> {
  const db = rt.ctx.db;
  const n = async (q: { executeTakeFirstOrThrow(): Promise<{ n: unknown }> }) => Number((await q.executeTakeFirstOrThrow()).n);
  return {
    resets: await n(db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).where('action', '=', 'mfa.reset')),
    emails: await n(db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).where('sent_at', 'is', null).where('subject', '=', 'Your two-step verification was reset')),
    factorsLeft: await n(db.selectFrom('mfa_factors').select((eb) => eb.fn.countAll().as('n')).where('owner_kind', '=', 'contact')),
    renderedAtDelivery: await n(db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).where('sent_at', 'is', null).where('rendered_at_delivery', 'like', '%"setup":true%')),
  };
}

function check(label: string, w: Written): void {
  const bad = [w.resets !== COUNT && `${w.resets} mfa.reset entries`, w.emails !== COUNT && `${w.emails} queued emails`, w.factorsLeft !== 0 && `${w.factorsLeft} factors left`, w.renderedAtDelivery !== COUNT && `${w.renderedAtDelivery} emails to render with a setup link`].filter(Boolean);
  if (bad.length) throw new Error(`${label}: expected ${COUNT} of each and 0 factors, found ${bad.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// The real job, in a real server, with the contacts list polled meanwhile.

// The contacts list is asked for from a child process (as a browser would, from elsewhere), so
// that the client never takes turns on the server's event loop and the latencies are the server's.
interface PollerStart {
  port: number;
  token: string;
  count: number;
  everyMs: number;
}

function startPoller(): { ready(): Promise<void>; run(start: PollerStart): void; stop(): Promise<number[]>; close(): void } {
  const child = fork(import.meta.filename, ['--poller'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  let answer: ((ms: number[]) => void) | null = null;
  let ready: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  child.on('message', (m) => (m === 'ready' ? ready() : answer?.(m as number[])));
  return {
    ready: () => isReady,
    run: (start) => child.send(start),
    stop: () =>
      new Promise<number[]>((resolve) => {
        answer = resolve;
        child.send('stop');
      }),
    close: () => void child.kill(),
  };
}

function poller(): void {
  let stop = false;
  process.on('message', (m) => {
    if (m === 'stop') {
      stop = true;
      return;
    }
    const { port, token, count, everyMs } = m as PollerStart;
    stop = false;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const t0 = performance.now();
        const r = http.request({ host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${token}` }, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { items?: unknown[] };
            if (res.statusCode !== 200 || !Array.isArray(body.items)) reject(new Error(`GET ${path} answered ${res.statusCode}`));
            else resolve(performance.now() - t0);
          });
          res.on('error', reject);
        });
        r.on('error', reject);
        r.end();
      });
    void (async () => {
      const ms: number[] = [];
      // One request at a time, as a staff member paging and searching the list (every other
      // one with a search query), starting at most one every `everyMs`.
      for (let k = 0; !stop; k++) {
        const started = performance.now();
        ms.push(await get(`/api/v1/contacts?limit=50${k % 2 ? `&query=bulk${Math.floor(Math.random() * count)}` : ''}`));
        const wait = everyMs - (performance.now() - started);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      agent.destroy();
      process.send!(ms);
    })().catch((e) => {
      console.error(e);
      process.exit(1);
    });
  });
  process.on('disconnect', () => process.exit(0));
  process.send!('ready');
}

interface Latencies {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function summarize(ms: number[]): Latencies {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN };
}

async function realJob(t: Target): Promise<{ seconds: number; createSeconds: number; idle: Latencies; during: Latencies; loopMaxMs: number }> {
  const rt = await openRuntime(t);
  const app = await buildApp(rt.ctx, { logger: false, webDir: null });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  const client = startPoller();
  try {
    const admin = await createStaffWithPassword(rt.ctx, { email: 'admin@example.com', name: 'Bench Admin', role: 'admin', password: 'bench password 1' });
    const meta = { ip: null, userAgent: null };
    const { token } = await createAPIToken(rt.ctx, { type: 'cli', id: null }, admin, { name: 'bench', scopes: ['contacts:read'], expiresInDays: 1 }, meta);
    await client.ready();
    client.run({ port, token, count: COUNT, everyMs: Number(values['poll-every']) });
    await new Promise((r) => setTimeout(r, 3000)); // warm-up and the idle figure
    const idle = summarize(await client.stop());

    client.run({ port, token, count: COUNT, everyMs: Number(values['poll-every']) });
    // The longest the event loop went without running a 5 ms timer: what any request waits at worst.
    let loopMaxMs = 0;
    let tick = performance.now();
    const lag = setInterval(() => {
      const now = performance.now();
      loopMaxMs = Math.max(loopMaxMs, now - tick);
      tick = now;
    }, 5);
    const runner = new BulkRunner(rt.ctx);
    const guard = setTimeout(() => void runner.stop(), MAX_MS);
    const started = performance.now();
    let seconds = NaN;
    let createSeconds = NaN;
    let duringMs: number[] = [];
    try {
      const job = await createBulkJob(rt.ctx, { type: 'staff', id: admin.id }, { filter: { all: true }, reason: 'bench: bulk reset', requireEnrollment: true }, meta);
      createSeconds = (performance.now() - started) / 1000;
      if (job.total !== COUNT) throw new Error(`the job matched ${job.total} contacts, expected ${COUNT}`);
      await runner.runOnce();
      seconds = (performance.now() - started) / 1000;
      const status = await rt.ctx.db.selectFrom('bulk_jobs').select(['status', 'done']).where('id', '=', job.id).executeTakeFirstOrThrow();
      if (status.status !== 'completed') throw new Error(`the job ended ${status.status} after ${seconds.toFixed(1)} s (done ${status.done}; --max-seconds ${MAX_MS / 1000})`);
    } finally {
      clearTimeout(guard);
      clearInterval(lag);
      duringMs = await client.stop();
    }
    check('real job', await written(rt));
    return { seconds, createSeconds, idle, during: summarize(duringMs), loopMaxMs };
  } finally {
    client.close();
    await app.close();
    await rt.close();
  }
}

async function runOn(db: DBKind): Promise<Array<Array<string | number>>> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-bench-bulk-'));
  const key = randomBytes(32).toString('base64');
  const base = makeTarget(db, dir, 'baseline', key);
  const real = makeTarget(db, dir, 'real', key);
  try {
    const s1 = await seed(base);
    const s2 = await seed(real);
    console.log(`${db}: seeded ${COUNT.toLocaleString('en')} contacts (${CODES} codes, ${SESSIONS} sessions, 1 remembered device each) twice, ${s1.toFixed(1)} + ${s2.toFixed(1)} s`);

    // The baseline borrows a runtime's keys and public URL only (the same as the real job's).
    const brt = await openRuntime(base);
    let baseline: number;
    try {
      if (db === 'sqlite') {
        await brt.close();
        baseline = baselineSQLite(base, brt.ctx);
      } else {
        baseline = await baselinePostgres(base, brt.ctx);
        await brt.close();
      }
      const after = await openRuntime(base);
      try {
        check('baseline', await written(after));
      } finally {
        await after.close();
      }
    } catch (e) {
      await brt.close().catch(() => undefined);
      throw e;
    }
    console.log(`${db}: baseline ${baseline.toFixed(2)} s`);

    const r = await realJob(real);
    console.log(`${db}: real job ${r.seconds.toFixed(2)} s; contacts list during the job p50/p95/p99 ${r.during.p50.toFixed(1)}/${r.during.p95.toFixed(1)}/${r.during.p99.toFixed(1)} ms (n=${r.during.n})`);
    const target = db === 'sqlite' ? 10 : 20;
    const f = (x: number) => x.toFixed(1);
    return [
      [db, 'raw-SQL baseline', `${baseline.toFixed(2)} s`, `${Math.round(COUNT / baseline).toLocaleString('en')}/s`, '', '', '', '', ''],
      [db, `real job (createBulkJob ${r.createSeconds.toFixed(2)} s → completed)`, `${r.seconds.toFixed(2)} s`, `${Math.round(COUNT / r.seconds).toLocaleString('en')}/s`, `${(r.seconds / baseline).toFixed(2)}x`, `≤ ${target} s: ${r.seconds <= target ? 'met' : 'MISSED'}`, '', '', ''],
      [db, 'contacts list, idle', '', '', '', '', r.idle.n, `${f(r.idle.p50)} / ${f(r.idle.p95)} / ${f(r.idle.p99)}`, f(r.idle.max)],
      [db, 'contacts list, during the job', '', '', '', `p99 ≤ 200 ms: ${r.during.p99 <= 200 ? 'met' : 'MISSED'}`, r.during.n, `${f(r.during.p50)} / ${f(r.during.p95)} / ${f(r.during.p99)}`, `${f(r.during.max)} (loop stall max ${f(r.loopMaxMs)})`],
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await dropTarget(base);
    await dropTarget(real);
  }
}

if (process.argv.includes('--poller')) {
  poller();
} else {
  const results: Array<Array<string | number>> = [];
  for (const db of values.db!.split(',') as DBKind[]) results.push(...(await runOn(db)));
  console.log(`\nBulk MFA reset of ${COUNT.toLocaleString('en')} enrolled contacts (audit entry + queued email each; the setup link is issued when the email is sent); contacts list over HTTP during the job`);
  printTable(['db', 'measure', 'time', 'rate', 'vs baseline', 'target', 'n', 'p50 / p95 / p99 ms', 'max ms'], results);
  console.log(`${describeMachine()}; load average ${loadAtStart.toFixed(2)} at start, ${loadavg()[0].toFixed(2)} at end`);
}
