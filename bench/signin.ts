/**
 * Password sign-in throughput over real HTTP against the raw argon2id verify rate of the same
 * parameters, at the same concurrency, in the same run. Target: sign-in >= 90 % of raw.
 *
 * A third contender shows the ceiling this machine allows: a bare Fastify route, in this
 * process, that parses the same JSON body and runs the same verifyPassword, nothing else (no
 * database, no session, no cookies), driven by the same load generator. Whatever separates it
 * from the raw rate is the cost of HTTP itself and of the load generator sharing the cores;
 * no sign-in can do better than it. The HTTP
 * load generator runs in its own process (bench/load-client.ts), and so does the server:
 * `portico serve` as deployed (bench/server-process.ts). The raw verifies run in this process, in
 * rounds alternating with the HTTP ones, on a libuv thread pool the size the server's is (one
 * thread per core, bin/portico.js; or UV_THREADPOOL_SIZE if you set it, for both).
 *
 *   npx tsx bench/signin.ts [--seconds 10] [--warmup 5] [--concurrency 8] [--db sqlite|postgres]
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { createStaffWithPassword } from '../src/accounts/staff.js';
import { hashPassword, verifyPassword } from '../src/crypto/password.js';
import { describeMachine, printTable } from './machine.js';
import { startLoadClient, type Job } from './load-client.js';
import { processCPUMicros, startServerProcess, threadCPUDelta, threadCPUMicros, type ServerProcess } from './server-process.js';
import { openBenchDatabase } from './bench-database.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '8' },
    db: { type: 'string', default: 'sqlite' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const PASSWORD = 'correct horse battery staple';

/** Runs `op` from `concurrency` loops for `seconds`; returns completed operations per second. */
async function measure(seconds: number, concurrency: number, op: () => Promise<void>): Promise<{ ops: number; perSecond: number }> {
  const end = performance.now() + seconds * 1000;
  let ops = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await op();
        ops++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  return { ops, perSecond: ops / elapsed };
}

async function main(): Promise<void> {
  const bench = await openBenchDatabase('signin', values.db!, values.pg!, {
    RATE_LIMIT_LOGIN_PER_MINUTE: '100000',
    UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE!,
  });
  const { env, config, rt } = bench;
  let server: ServerProcess | null = null;
  try {
    // Agents sign in with a password alone; the customer path is the same code. Many people
    // sign in at once, not one person many times: a password try is counted before it is
    // checked (src/accounts/login-backoff.ts), so more than 5 sign-ins of one account in flight
    // at once are refused (429) as the back-off's free tries run out. Four accounts per
    // connection, each with its own browser, taken in turn: no account is ever in flight twice.
    const staff: Array<{ email: string }> = [];
    for (let i = 0; i < 4 * CONCURRENCY; i++) {
      staff.push(await createStaffWithPassword(rt.ctx, { email: `bench-agent-${i}@example.com`, name: `Bench Agent ${i}`, role: 'agent', password: PASSWORD }));
    }
    await rt.close();
    server = await startServerProcess(env);
    const base = `http://127.0.0.1:${server.port}`;

    // Each virtual browser fetches its CSRF seed once, as a browser does, then signs in again and again.
    const browsers = await Promise.all(
      staff.map(async () => {
        const r = await fetch(`${base}/api/v1/staff-auth/session`);
        const cookie = r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
        return { cookie, csrf: ((await r.json()) as { csrfToken: string }).csrfToken };
      }),
    );
    // The HTTP sign-ins come from a load generator in its own process, so that the client's
    // work does not run on the server's event loop (it still shares the machine's cores, as
    // a real client on the same box would). Same concurrency as the raw verifies.
    const client = startLoadClient();
    const port = server.port;
    const jobs: Job[] = browsers.map((b, i) => ({
      method: 'POST',
      path: '/api/v1/staff-auth/login',
      headers: { cookie: b.cookie, 'x-csrf-token': b.csrf },
      body: { email: staff[i]!.email, password: PASSWORD },
    }));
    let failures = 0;
    const signInRound = async (seconds: number) => {
      // The browsers' sign-ins again and again; the time limit ends the round.
      const r = await client.run({ port, connections: CONCURRENCY, maxSeconds: seconds, jobs, repeat: true });
      failures += r.completed - (r.statuses['200'] ?? 0);
      if (r.samples.length && failures) console.error(r.samples.join(' | '));
      return r;
    };
    const stored = await hashPassword(PASSWORD);
    const rawVerify = async () => {
      if (!(await verifyPassword(stored, PASSWORD))) throw new Error('verify failed');
    };
    // The ceiling: HTTP and the same verify, nothing else, on this process's pool.
    const bare = Fastify({ logger: false });
    bare.post<{ Body: { email: string; password: string } }>('/login', async (req, reply) => {
      if (!(await verifyPassword(stored, String(req.body?.password ?? '')))) return reply.code(401).send({ ok: false });
      return { ok: true };
    });
    await bare.listen({ port: 0, host: '127.0.0.1' });
    const bareJobs: Job[] = jobs.map((j) => ({ ...j, path: '/login', headers: {} }));
    let bareFailures = 0;
    const bareRound = async (seconds: number) => {
      const r = await client.run({ port: (bare.server.address() as AddressInfo).port, connections: CONCURRENCY, maxSeconds: seconds, jobs: bareJobs, repeat: true });
      bareFailures += r.completed - (r.statuses['200'] ?? 0);
      return r;
    };


    // Warm up both paths (JIT, connection pools, argon2's thread pool).
    // A server that has run a while has its hot paths compiled by V8; at ~150 sign-ins a second
    // that takes a few seconds of sign-ins.
    await signInRound(Number(values.warmup));
    await bareRound(1);
    await measure(1, CONCURRENCY, rawVerify);
    // Alternate short rounds of each, so that whatever else the machine does hits both alike.
    const ROUND = 1;
    const raw = { ops: 0, seconds: 0 };
    const http = { ops: 0, seconds: 0 };
    const bareHTTP = { ops: 0, seconds: 0 };
    let serverCPU = 0;
    // CPU time by thread: the server's event loop and argon2's pool, the load generator, and
    // this process's pool during the raw rounds. Where a sign-in's time goes beyond the hash.
    const add = (into: Map<string, number>, d: Map<string, number>) => d.forEach((v, k) => into.set(k, (into.get(k) ?? 0) + v));
    const serverThreads = new Map<string, number>();
    const rawThreads = new Map<string, number>();
    let clientCPU = 0;
    try {
      for (let i = 0; i < SECONDS / ROUND; i++) {
        const t0 = threadCPUMicros('self');
        const r = await measure(ROUND / 2, CONCURRENCY, rawVerify);
        add(rawThreads, threadCPUDelta(t0, threadCPUMicros('self')));
        raw.ops += r.ops;
        raw.seconds += r.ops / r.perSecond;
        const c0 = server.cpuMicros();
        const s0 = server.threadCPUMicros();
        const l0 = processCPUMicros(client.pid);
        const h = await signInRound(ROUND);
        serverCPU += server.cpuMicros() - c0;
        add(serverThreads, threadCPUDelta(s0, server.threadCPUMicros()));
        clientCPU += processCPUMicros(client.pid) - l0;
        http.ops += h.completed;
        http.seconds += h.seconds;
        const b = await bareRound(ROUND);
        bareHTTP.ops += b.completed;
        bareHTTP.seconds += b.seconds;
      }
    } finally {
      await client.close();
      await bare.close();
    }
    const rawPerSecond = raw.ops / raw.seconds;
    const httpPerSecond = http.ops / http.seconds;
    const barePerSecond = bareHTTP.ops / bareHTTP.seconds;
    if (failures) throw new Error(`${failures} sign-ins did not answer 200`);
    if (bareFailures) throw new Error(`${bareFailures} bare verifies did not answer 200`);

    console.log(`\nPassword sign-in vs raw argon2id verify (m=19456 KiB, t=2, p=1), ${config.databaseURL.split(':')[0]}, concurrency ${CONCURRENCY}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE} in both processes`);
    printTable(
      ['measure', 'operations', 'per second', 'ms each (mean)', 'share of raw'],
      [
        ['raw verifyPassword', raw.ops, rawPerSecond.toFixed(1), ((1000 * CONCURRENCY) / rawPerSecond).toFixed(1), '100 %'],
        ['bare HTTP route: JSON + verify only', bareHTTP.ops, barePerSecond.toFixed(1), ((1000 * CONCURRENCY) / barePerSecond).toFixed(1), `${((100 * barePerSecond) / rawPerSecond).toFixed(1)} %`],
        ['POST /staff-auth/login', http.ops, httpPerSecond.toFixed(1), ((1000 * CONCURRENCY) / httpPerSecond).toFixed(1), `${((100 * httpPerSecond) / rawPerSecond).toFixed(1)} %`],
      ],
    );
    const ratio = httpPerSecond / rawPerSecond;
    // Raw: each verify's CPU is the pool's share of the two cores; the server's includes HTTP and the database.
    console.log(`server process CPU per sign-in: ${(serverCPU / http.ops / 1000).toFixed(2)} ms (argon2id included); raw verify: ${((2 * 1000) / rawPerSecond).toFixed(2)} ms of the 2 cores`);
    const per = (m: Map<string, number>, ops: number) => [...m].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${(v / ops / 1000).toFixed(2)}`).join(', ');
    console.log(`CPU ms per sign-in by server thread: ${per(serverThreads, http.ops)}; load generator ${(clientCPU / http.ops / 1000).toFixed(2)}`);
    console.log(`CPU ms per raw verify by thread of this process: ${per(rawThreads, raw.ops)}`);
    console.log(`sign-in share of the bare route (the machine's ceiling): ${((100 * httpPerSecond) / barePerSecond).toFixed(1)} %`);
    console.log(`target >= 90 % of raw: ${ratio >= 0.9 ? 'met' : 'NOT met'} (${(ratio * 100).toFixed(1)} %)`);
    console.log(describeMachine());
  } finally {
    await server?.stop();
    await bench.remove();
  }
}

// libuv sizes its pool from UV_THREADPOOL_SIZE when the pool starts, before this file runs;
// so without it, run again with the server's default (bin/portico.js): one thread per core.
if (process.env.UV_THREADPOOL_SIZE === undefined) {
  const { spawnSync } = await import('node:child_process');
  const { availableParallelism } = await import('node:os');
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, UV_THREADPOOL_SIZE: String(Math.max(2, availableParallelism())) },
  });
  process.exit(r.status ?? 1);
} else {
  await main();
}
