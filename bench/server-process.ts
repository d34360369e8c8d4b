/**
 * Runs Portico as deployed, `node bin/portico.js serve` (the esbuild bundle, not tsx), in its
 * own process, so that a benchmark measures the server alone: its CPU time and its resident
 * memory come from /proc for that process only, and the benchmark's own data (thousands of
 * prepared requests) never counts against the server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface ServerProcess {
  port: number;
  pid: number;
  /** User + system CPU time the server process has used so far, in microseconds. */
  cpuMicros(): number;
  /** The same by thread and kind (see threadCPUMicros), in microseconds. */
  threadCPUMicros(): Map<string, number>;
  /** Current resident set size, bytes. */
  rss(): number;
  /** The highest resident set size the process has had since it started, bytes. */
  peakRSS(): number;
  stop(): Promise<void>;
}

const root = join(import.meta.dirname, '..');
const TICK_MICROS = 1_000_000 / 100; // USER_HZ is 100 on Linux

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function status(pid: number, field: string): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/**
 * Starts the server with `env` (DATABASE_URL, PORTICO_SECRET_KEY, …) and waits for /healthz.
 * BENCH_SERVER_NODE_ARGS (space-separated) go to the server's node, to profile it:
 * BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' npx tsx bench/second-step.ts
 * The server's stdout is dropped unless BENCH_SERVER_STDOUT names a file for it, which the
 * flags that print are read from: BENCH_SERVER_STDOUT=/tmp/gc.txt BENCH_SERVER_NODE_ARGS=--trace-gc-nvp
 */
export async function startServerProcess(env: Record<string, string>, command: string[] = [join(root, 'bin', 'portico.js'), 'serve']): Promise<ServerProcess> {
  const port = await freePort();
  const stdout = process.env.BENCH_SERVER_STDOUT ? openSync(process.env.BENCH_SERVER_STDOUT, 'w') : null;
  const child: ChildProcess = spawn(process.execPath, [...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), ...command], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOG_LEVEL: 'warn',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', stdout ?? 'ignore', 'inherit'],
  });
  // The child has its own copy of the file's descriptor.
  if (stdout !== null) closeSync(stdout);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`portico serve exited with ${child.exitCode}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('portico serve did not become healthy within 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = child.pid!;
  return {
    port,
    pid,
    cpuMicros: () => processCPUMicros(pid),
    threadCPUMicros: () => threadCPUMicros(pid),
    rss: () => status(pid, 'VmRSS'),
    peakRSS: () => status(pid, 'VmHWM'),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** User + system CPU time a process has used so far (all its threads), in microseconds. */
export function processCPUMicros(pid: number): number {
  // /proc/<pid>/stat: fields after the command name; utime and stime are the 14th and 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MICROS;
}

/**
 * CPU time of a process (`self` for this one) by thread and kind, in microseconds: "main user",
 * "main sys" for the event loop's thread (whose id is the process id), and "<name> user|sys"
 * for the others (Node 20 names libuv's pool threads "node" like the rest; V8's are "V8 …").
 */
export function threadCPUMicros(pid: number | 'self'): Map<string, number> {
  const out = new Map<string, number>();
  const mainTid = pid === 'self' ? String(process.pid) : String(pid);
  const add = (k: string, v: number) => out.set(k, (out.get(k) ?? 0) + v);
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended
    }
    const name = tid === mainTid ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    add(`${name} user`, Number(fields[11]) * TICK_MICROS);
    add(`${name} sys`, Number(fields[12]) * TICK_MICROS);
  }
  return out;
}

/** What each thread name used between two readings of threadCPUMicros, in microseconds. */
export function threadCPUDelta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) out.set(k, v - (before.get(k) ?? 0));
  return out;
}
