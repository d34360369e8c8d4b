/**
 * Verified TOTP second steps per second, and their p50/p99, at 50 connections over real HTTP,
 * against a bare Fastify route that only checks a TOTP code, in the same run.
 *
 * Every request to the real route is its own pending sign-in (a contact with its own enrolled
 * TOTP factor and its own `mfa`-level session, so its own challenge) and carries a valid code:
 * the timed part is exactly POST /api/v1/auth/mfa/verify {method:'totp', code}, with every
 * write the real path does (replay guard, session rotation, audit entry). The load generator
 * runs in its own process (bench/load-client.ts), and so does the server: `portico serve` as
 * deployed (bench/server-process.ts), whose CPU time and peak RSS are read from /proc for that
 * process alone. Rounds of the two routes alternate, so that whatever else the machine does
 * hits both alike.
 *
 * Targets (2 cores, SQLite): >= 3,000 verifications/s, >= 25 % of the bare route's rate,
 * p99 <= 50 ms at 50 connections, peak RSS <= 200 MB.
 *
 *   npx tsx bench/second-step.ts [--db sqlite|postgres] [--connections 50] [--requests 24000] [--rounds 3] [--server portico|floor]
 *
 * `--server floor` serves the same requests from a hand-written floor of the same work
 * (bench/tools/second-step-floor.ts): what this design costs with no code around it.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { generateTOTPSecret, matchTOTPStep } from '../src/mfa/totp.js';
import { seedPendingSignIns } from './pending-sign-ins.js';
import { csrfTokenFor } from '../src/http/csrf.js';
import { sessionCookieName } from '../src/http/cookies.js';
import { openDatabase } from '../src/db/index.js';
import { describeMachine, percentile, printTable } from './machine.js';
import { startServerProcess, threadCPUDelta } from './server-process.js';
import { openBenchDatabase } from './bench-database.js';
import { startLoadClient, type Job, type RunResult } from './load-client.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    connections: { type: 'string', default: '50' },
    requests: { type: 'string', default: '24000' },
    rounds: { type: 'string', default: '3' },
    'round-seconds': { type: 'string', default: '4' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    server: { type: 'string', default: 'portico' },
  },
});
const CONNECTIONS = Number(values.connections);
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);
const ROUND_SECONDS = Number(values['round-seconds']);
const WARMUP = 1000;
// `--server floor`: the hand-written floor of the same work (bench/tools/second-step-floor.ts)
// answers instead of `portico serve`, SQLite only.
const FLOOR = values.server === 'floor';
if (!FLOOR && values.server !== 'portico') throw new Error('--server is portico or floor');
if (FLOOR && values.db !== 'sqlite') throw new Error('--server floor runs on SQLite only');

async function main(): Promise<void> {
  // The server process and this one share the database and the secret key (so that the CSRF
  // tokens computed here are the server's).
  const bench = await openBenchDatabase('second-step', values.db!, values.pg!);
  const { env, config, rt, usePG, schema } = bench;
  const { ctx } = rt;
  const dialect = ctx.dialect;

  // The bare route: parse a JSON body, check a TOTP code, answer. Nothing else.
  const bareSecret = generateTOTPSecret();
  const bare = Fastify({ logger: false });
  bare.post<{ Body: { code: string } }>('/verify', async (req, reply) => {
    if (matchTOTPStep(bareSecret, String(req.body?.code ?? ''), new Date()) === null) return reply.code(400).send({ ok: false });
    return { ok: true };
  });
  await bare.listen({ port: 0, host: '127.0.0.1' });

  const client = startLoadClient();
  const servers: Array<{ stop(): Promise<void> }> = [];
  try {
    // Setup, untimed: one contact per request, each with an active TOTP factor and a pending
    // (mfa-level) sign-in session, as a correct password would have left it.
    const total = WARMUP + REQUESTS;
    const setupStarted = performance.now();
    const meta = { ip: '127.0.0.1', userAgent: 'bench/second-step' };
    const jobs: Job[] = (await seedPendingSignIns(ctx, total, meta)).map(({ token, secret }) => ({
      method: 'POST',
      path: '/api/v1/auth/mfa/verify',
      headers: { cookie: `${sessionCookieName('contact')}=${token}`, 'x-csrf-token': csrfTokenFor(ctx, 'contact', token), 'user-agent': meta.userAgent },
      body: { method: 'totp' },
      totpSecretHex: secret.toString('hex'),
    }));
    console.log(`${ctx.dialect}: set up ${total.toLocaleString('en')} pending sign-ins with their own TOTP factor in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s`);
    await rt.close();
    const server = await startServerProcess(env, FLOOR ? ['--import', 'tsx', join(import.meta.dirname, 'tools', 'second-step-floor-server.ts')] : undefined);
    servers.push(server);
    const port = server.port;
    const barePort = (bare.server.address() as AddressInfo).port;
    const bareJob: Job = { method: 'POST', path: '/verify', body: {}, totpSecretHex: bareSecret.toString('hex') };
    const audited0 = await auditCount();

    const real: RunResult[] = [];
    const bareRuns: RunResult[] = [];
    // CPU time of each server's process per request (Portico's from /proc, the bare route's
    // from this process): far less sensitive to a busy machine than throughput is.
    const cpu = { real: 0, bare: 0 };
    const cpuNow = {
      real: () => server.cpuMicros(),
      bare: () => ((c) => c.user + c.system)(process.cpuUsage()),
    };
    // Portico's CPU by thread too: the event loop's thread bounds the rate on its own.
    const realThreads = new Map<string, number>();
    const cpuOf = async <T>(what: 'real' | 'bare', f: () => Promise<T>): Promise<T> => {
      const c0 = cpuNow[what]();
      const t0 = what === 'real' ? server.threadCPUMicros() : null;
      const r = await f();
      cpu[what] += cpuNow[what]() - c0;
      if (t0) for (const [k, v] of threadCPUDelta(t0, server.threadCPUMicros())) realThreads.set(k, (realThreads.get(k) ?? 0) + v);
      return r;
    };
    let rssAfter = 0;
    {
      // Warm up both (JIT, statement caches, keep-alive sockets).
      check(await client.run({ port, connections: CONNECTIONS, maxSeconds: 30, jobs: jobs.slice(0, WARMUP) }), 'warm-up');
      await client.run({ port: barePort, connections: CONNECTIONS, maxSeconds: 2, jobs: [bareJob], repeat: true });
      const perRound = Math.floor(REQUESTS / ROUNDS);
      for (let r = 0; r < ROUNDS; r++) {
        bareRuns.push(await cpuOf('bare', () => client.run({ port: barePort, connections: CONNECTIONS, maxSeconds: ROUND_SECONDS / 2, jobs: [bareJob], repeat: true })));
        const slice = jobs.slice(WARMUP + r * perRound, WARMUP + (r + 1) * perRound);
        real.push(check(await cpuOf('real', () => client.run({ port, connections: CONNECTIONS, maxSeconds: ROUND_SECONDS, jobs: slice })), `round ${r + 1}`));
      }
      rssAfter = server.rss();
    }
    const peakRSS = server.peakRSS();
    const verified = real.reduce((n, r) => n + r.completed, 0);
    // Every verification wrote its audit entry (the warm-up's too).
    const audited = (await auditCount()) - audited0;
    if (audited !== verified + WARMUP) throw new Error(`expected ${verified + WARMUP} auth.login.succeeded audit entries, found ${audited}`);

    const summarize = (name: string, runs: RunResult[]) => {
      const n = runs.reduce((s, r) => s + r.completed, 0);
      const secs = runs.reduce((s, r) => s + r.seconds, 0);
      const lat = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
      return { name, n, perSecond: n / secs, p50: percentile(lat, 50), p99: percentile(lat, 99), perRound: runs.map((r) => r.perSecond.toFixed(0)).join(' / ') };
    };
    const a = summarize(FLOOR ? 'the floor of the same work (by hand)' : 'POST /api/v1/auth/mfa/verify (TOTP)', real);
    const b = summarize('bare Fastify route checking a TOTP code', bareRuns);
    const share = a.perSecond / b.perSecond;
    const rssMB = peakRSS / 2 ** 20;
    console.log(`\nTOTP second steps, ${dialect}, ${CONNECTIONS} connections, portico serve and the load generator each in their own process, ${ROUNDS} alternating rounds`);
    printTable(
      ['route', 'requests', 'per second', 'rounds (/s)', 'p50 ms', 'p99 ms', 'share of bare'],
      [
        [a.name, a.n, a.perSecond.toFixed(0), a.perRound, a.p50.toFixed(1), a.p99.toFixed(1), `${(share * 100).toFixed(1)} %`],
        [b.name, b.n, b.perSecond.toFixed(0), b.perRound, b.p50.toFixed(1), b.p99.toFixed(1), '100 %'],
      ],
    );
    console.log(`server CPU (user+system) per request: ${(cpu.real / a.n).toFixed(0)} µs verified second step, ${(cpu.bare / b.n).toFixed(0)} µs bare route`);
    console.log(`  verified second step by thread: ${describeThreads(realThreads, a.n)}`);
    console.log(`${FLOOR ? "floor server" : "portico serve"} process: peak RSS ${rssMB.toFixed(0)} MB over its whole life (start, warm-up, rounds); ${(rssAfter / 2 ** 20).toFixed(0)} MB after the rounds`);
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    console.log(
      `targets: >= 3000/s ${verdict(a.perSecond >= 3000)}; >= 25 % of bare ${verdict(share >= 0.25)}; p99 <= 50 ms ${verdict(a.p99 <= 50)}; peak RSS <= 200 MB ${verdict(rssMB <= 200)}`,
    );
    console.log(describeMachine());
  } finally {
    await client.close();
    await bare.close();
    for (const s of servers) await s.stop();
    await bench.remove();
  }

  async function auditCount(): Promise<number> {
    const d = await openDatabase(config.databaseURL, usePG ? { schema: schema! } : {});
    try {
      const r = await d.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', 'auth.login.succeeded').executeTakeFirstOrThrow();
      return Number(r.n);
    } finally {
      await d.close();
    }
  }
}

/** Every verification must have passed: a benchmark of failures measures nothing. */
function check(r: RunResult, what: string): RunResult {
  const ok = r.statuses['200'] ?? 0;
  if (ok !== r.completed) throw new Error(`${what}: ${r.completed - ok} of ${r.completed} verifications did not answer 200 (${JSON.stringify(r.statuses)}): ${r.samples.join(' | ')}`);
  return r;
}

/** µs per request by thread (user+system): the event loop's thread first, then the busiest others. */
function describeThreads(byThread: Map<string, number>, n: number): string {
  const total = new Map<string, number>();
  for (const [k, v] of byThread) {
    const name = k.replace(/ (user|sys)$/, '');
    total.set(name, (total.get(name) ?? 0) + v);
  }
  const main = total.get('main') ?? 0;
  total.delete('main');
  const others = [...total.entries()].filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]);
  return [`event loop (main) ${(main / n).toFixed(0)} µs`, ...others.map(([k, v]) => `${k} ${(v / n).toFixed(0)} µs`)].join(', ');
}

await main();
