/**
 * A small HTTP load generator that runs in its own process (so that it never takes the
 * server's event loop), started by the benchmarks with `startLoadClient()`. autocannon is not
 * installed; this is node:http with a keep-alive agent, `connections` requests in flight, a
 * bounded number of requests and a time limit.
 *
 * A job is one request. `totpSecretHex`, when set, makes the client compute the current TOTP
 * code for that secret just before sending and put it in the JSON body as `code`, as an
 * authenticator app would, so that a code is never stale however long the run.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';

export interface Job {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: Record<string, unknown>;
  totpSecretHex?: string;
}

export interface RunRequest {
  port: number;
  connections: number;
  maxSeconds: number;
  jobs: Job[];
}

export interface RunResult {
  completed: number;
  seconds: number;
  perSecond: number;
  /** Latencies in ms, sorted ascending. */
  latencies: number[];
  statuses: Record<string, number>;
  /** The first few non-2xx answers, for diagnosis. */
  samples: string[];
}

/** Client side: the handle the benchmark uses. */
export interface LoadClient {
  /** The load generator's process id (its CPU time can be read from /proc). */
  pid: number;
  run(request: RunRequest): Promise<RunResult>;
  close(): Promise<void>;
}

export function startLoadClient(): LoadClient {
  const child: ChildProcess = fork(import.meta.filename, ['--child'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  let pending: ((r: RunResult) => void) | null = null;
  let failed: ((e: Error) => void) | null = null;
  child.on('message', (m) => pending?.(m as RunResult));
  child.on('exit', (code) => failed?.(new Error(`load client exited ${code}`)));
  return {
    pid: child.pid!,
    run(request) {
      return new Promise<RunResult>((resolve, reject) => {
        pending = resolve;
        failed = reject;
        child.send(request);
      });
    },
    async close() {
      failed = null;
      child.kill();
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}

async function runJobs(req: RunRequest): Promise<RunResult> {
  const { totpCode } = await import('../src/mfa/totp.js');
  const agent = new http.Agent({ keepAlive: true, maxSockets: req.connections });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const samples: string[] = [];
  let next = 0;
  const started = performance.now();
  const deadline = started + req.maxSeconds * 1000;
  const one = (job: Job) =>
    new Promise<void>((resolve, reject) => {
      const body = job.body || job.totpSecretHex ? JSON.stringify(job.totpSecretHex ? { ...job.body, code: totpCode(Buffer.from(job.totpSecretHex, 'hex'), new Date()) } : job.body) : undefined;
      const headers: Record<string, string | number> = { ...job.headers };
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const t0 = performance.now();
      const r = http.request({ host: '127.0.0.1', port: req.port, method: job.method, path: job.path, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          const s = String(res.statusCode);
          statuses[s] = (statuses[s] ?? 0) + 1;
          if ((res.statusCode ?? 0) >= 300 && samples.length < 3) samples.push(`${s} ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`);
          resolve();
        });
        res.on('error', reject);
      });
      r.on('error', reject);
      r.end(body);
    });
  await Promise.all(
    Array.from({ length: req.connections }, async () => {
      while (next < req.jobs.length && performance.now() < deadline) await one(req.jobs[next++]);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { completed: latencies.length, seconds, perSecond: latencies.length / seconds, latencies, statuses, samples };
}

if (process.argv.includes('--child')) {
  process.on('message', (m) => {
    runJobs(m as RunRequest).then(
      (r) => process.send!(r),
      (e) => {
        console.error(e);
        process.exit(1);
      },
    );
  });
  process.on('disconnect', () => process.exit(0));
}
