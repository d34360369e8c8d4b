/**
 * Cold start: time from spawning `node bin/portico.js serve` (fresh data folder, free port) to
 * the first 200 from /healthz, and the resident memory of that process once idle.
 * Targets: median start <= 1.5 s (of 5), idle RSS <= 150 MB.
 *
 *   npx tsx bench/startup.ts [--runs 5]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine, percentile, printTable } from './machine.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const RUNS = Number(values.runs);
const ROOT = resolve(import.meta.dirname, '..');

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => res(port));
    });
  });
}

function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

async function once(): Promise<{ startMs: number; rssMB: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-bench-start-'));
  const port = await freePort();
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'bin/portico.js'), 'serve'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', PORT: String(port), PORTICO_DATA_DIR: dir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  try {
    let startMs = NaN;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`portico serve exited ${child.exitCode}: ${stderr}`);
      try {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (r.status === 200) {
          startMs = performance.now() - started;
          break;
        }
      } catch {
        // not listening yet
      }
      if (performance.now() - started > 30_000) throw new Error(`no 200 from /healthz within 30 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    // Idle: let start-up work (outbox poll, first-admin link, GC) settle.
    await new Promise((r) => setTimeout(r, 3000));
    return { startMs, rssMB: rssMB(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs: Array<{ startMs: number; rssMB: number }> = [];
for (let i = 0; i < RUNS; i++) runs.push(await once());
const starts = runs.map((r) => r.startMs).sort((a, b) => a - b);
const rss = runs.map((r) => r.rssMB).sort((a, b) => a - b);
console.log(`\nportico serve: spawn to first 200 from /healthz (fresh data folder each run), and idle RSS 3 s later`);
printTable(
  ['run', 'start ms', 'idle RSS MB'],
  [...runs.map((r, i) => [String(i + 1), r.startMs.toFixed(0), r.rssMB.toFixed(1)]), ['median', percentile(starts, 50).toFixed(0), percentile(rss, 50).toFixed(1)]],
);
console.log(`targets: start <= 1500 ms: ${percentile(starts, 50) <= 1500 ? 'met' : 'NOT met'}; idle RSS <= 150 MB: ${percentile(rss, 50) <= 150 ? 'met' : 'NOT met'}`);
console.log(describeMachine());
