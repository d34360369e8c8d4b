/**
 * A small HTTP load generator that runs in its own process (so that it never takes the
 * server's event loop), started by the benchmarks with `startLoadClient()`. autocannon is not
 * installed; this is a minimal keep-alive HTTP/1.1 client over node:net, `connections`
 * requests in flight, a bounded number of requests (or `repeat`) and a time limit.
 *
 * A job is one request. `totpSecretHex`, when set, makes the client compute the current TOTP
 * code for that secret just before sending and put it in the JSON body as `code`, as an
 * authenticator app would, so that a code is never stale however long the run.
 */
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';

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
  /** Send the jobs again and again, in order, until maxSeconds (else each once at most). */
  repeat?: boolean;
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

/**
 * One keep-alive connection speaking just enough HTTP/1.1 for the benchmarks: it writes a
 * request's bytes whole and reads one response (Content-Length or chunked body). node:http's
 * client cost about a millisecond of CPU per request on a busy 2-core machine, CPU the server
 * under test then lacked; this costs a small fraction of it.
 */
class Connection {
  private socket: net.Socket | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: { status: number; body: Buffer }) => void; reject: (e: Error) => void } | null = null;

  constructor(private readonly port: number) {}

  private connect(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port: this.port, host: '127.0.0.1', noDelay: true }, () => resolve(s));
      s.once('error', reject);
      s.on('data', (chunk: Buffer) => {
        this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
        this.parse();
      });
      s.on('error', (e) => this.fail(e));
      s.on('close', () => {
        this.socket = null;
        this.fail(new Error('connection closed'));
      });
    });
  }

  private fail(e: Error): void {
    const w = this.waiting;
    this.waiting = null;
    w?.reject(e);
  }

  private parse(): void {
    if (!this.waiting) return;
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buf.subarray(0, end).toString('latin1');
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    let body: Buffer;
    let used: number;
    if (length) {
      used = end + 4 + Number(length[1]);
      if (this.buf.length < used) return;
      body = this.buf.subarray(end + 4, used);
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const parts: Buffer[] = [];
      let at = end + 4;
      for (;;) {
        const eol = this.buf.indexOf('\r\n', at);
        if (eol < 0) return;
        const size = parseInt(this.buf.subarray(at, eol).toString('latin1'), 16);
        if (this.buf.length < eol + 2 + size + 2) return;
        if (size === 0) {
          used = eol + 4;
          break;
        }
        parts.push(this.buf.subarray(eol + 2, eol + 2 + size));
        at = eol + 2 + size + 2;
      }
      body = Buffer.concat(parts);
    } else {
      return this.fail(new Error(`response without a length: ${head.split('\r\n')[0]}`));
    }
    this.buf = this.buf.subarray(used);
    const w = this.waiting;
    this.waiting = null;
    w.resolve({ status, body });
    if (/\r\nconnection:\s*close/i.test(head)) this.socket?.destroy();
  }

  async request(bytes: Buffer): Promise<{ status: number; body: Buffer }> {
    this.socket ??= await this.connect();
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket!.write(bytes);
    });
  }

  close(): void {
    this.socket?.destroy();
  }
}

function requestBytes(port: number, job: Job, body: string | undefined): Buffer {
  let head = `${job.method} ${job.path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n`;
  for (const [k, v] of Object.entries(job.headers ?? {})) head += `${k}: ${v}\r\n`;
  if (body !== undefined) head += `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
  return Buffer.from(`${head}\r\n${body ?? ''}`);
}

async function runJobs(req: RunRequest): Promise<RunResult> {
  const { totpCode } = await import('../src/mfa/totp.js');
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const samples: string[] = [];
  // A job without a TOTP code is the same bytes every time; encode it once.
  const encoded = new Map<Job, Buffer>();
  const bytesOf = (job: Job): Buffer => {
    if (job.totpSecretHex) {
      return requestBytes(req.port, job, JSON.stringify({ ...job.body, code: totpCode(Buffer.from(job.totpSecretHex, 'hex'), new Date()) }));
    }
    let b = encoded.get(job);
    if (!b) encoded.set(job, (b = requestBytes(req.port, job, job.body ? JSON.stringify(job.body) : undefined)));
    return b;
  };
  let next = 0;
  const started = performance.now();
  const deadline = started + req.maxSeconds * 1000;
  const more = () => performance.now() < deadline && (req.repeat || next < req.jobs.length);
  const connections = Array.from({ length: req.connections }, () => new Connection(req.port));
  try {
    await Promise.all(
      connections.map(async (c) => {
        while (more()) {
          const job = req.jobs[next++ % req.jobs.length];
          const t0 = performance.now();
          const { status, body } = await c.request(bytesOf(job));
          latencies.push(performance.now() - t0);
          const s = String(status);
          statuses[s] = (statuses[s] ?? 0) + 1;
          if (status >= 300 && samples.length < 3) samples.push(`${s} ${body.toString('utf8').slice(0, 300)}`);
        }
      }),
    );
  } finally {
    for (const c of connections) c.close();
  }
  const seconds = (performance.now() - started) / 1000;
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
