/**
 * Bulk MFA reset at scale: N enrolled contacts (default 100,000; each an active TOTP factor,
 * 10 recovery codes, 2 sessions and a remembered device) reset by the real job
 * (createBulkJob + BulkRunner, emails left queued in the outbox, to be rendered with their setup
 * link when sent), against a raw-SQL baseline (in bench/bulk-reset-baseline.ts, with the seeding)
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
import type { FastifyBaseLogger } from 'fastify';
import { loadConfig, type Config } from '../src/config.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { buildApp } from '../src/app.js';
import { createStaffWithPassword } from '../src/accounts/staff.js';
import { createAPIToken } from '../src/sessions/api-tokens.js';
import { BulkRunner } from '../src/recovery/bulk.js';
import { createBulkJob } from '../src/recovery/bulk-targets.js';
import { baselinePostgres, baselineSQLite, CODES, seed, SESSIONS, type Dataset } from './bulk-reset-baseline.js';
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

/** The same target, as the seeding and the baseline (bench/bulk-reset-baseline.ts) reach it. */
function dataset(t: Target): Dataset {
  return { db: t.db, file: t.config.databaseURL.slice('sqlite:'.length), openRuntime: () => openRuntime(t), pgClient: () => pgClient(t) };
}

// ---------------------------------------------------------------------------------------------
// What a run wrote: the same for the baseline and for the real job.

interface Written {
  resets: number;
  emails: number;
  factorsLeft: number;
  /** Queued emails to be rendered (with their setup link) when sent. */
  renderedAtDelivery: number;
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
    const s1 = await seed(dataset(base), COUNT);
    const s2 = await seed(dataset(real), COUNT);
    console.log(`${db}: seeded ${COUNT.toLocaleString('en')} contacts (${CODES} codes, ${SESSIONS} sessions, 1 remembered device each) twice, ${s1.toFixed(1)} + ${s2.toFixed(1)} s`);

    // The baseline borrows a runtime's keys and public URL only (the same as the real job's).
    const brt = await openRuntime(base);
    let baseline: number;
    try {
      if (db === 'sqlite') {
        await brt.close();
        baseline = baselineSQLite(dataset(base), brt.ctx);
      } else {
        baseline = await baselinePostgres(dataset(base), brt.ctx);
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
