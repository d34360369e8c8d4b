/**
 * What a message round trip to a worker thread costs the event loop: the price of moving
 * SQLite's work off the event loop (bench/README.md, session 14). A worker stands where a
 * database thread would; each call sends a statement-sized message (SQL text and parameters)
 * and gets a session-row-sized answer, 50 calls in flight as in bench/second-step.ts. Printed:
 * the main thread's CPU per round trip (from /proc, user + system), and the wall time.
 *
 *   npx tsx bench/worker-round-trip.ts [--calls 50000]
 */
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { describeMachine } from './machine.js';
import { threadCPUMicros } from './server-process.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '50000' } } });
const CALLS = Number(values.calls);
const IN_FLIGHT = 50;

const worker = new Worker(
  `
const { parentPort } = require('node:worker_threads');
const at = new Date().toISOString();
parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, rows: [{ id_hash: m.params[0], kind: m.params[1], subject_id: 'ct_01a24e5a76b6dbz2sf02ncetrq13', level: 'mfa', created_at: at, last_seen_at: at, expires_at: at, step_up_at: null, ip: '127.0.0.1', user_agent: 'Mozilla/5.0 (X11; Linux x86_64) bench' }] }));
`,
  { eval: true },
);
const pending = new Map<number, () => void>();
let next = 0;
worker.on('message', (m: { id: number }) => {
  const done = pending.get(m.id)!;
  pending.delete(m.id);
  done();
});
const call = (sql: string, params: unknown[]) =>
  new Promise<void>((resolve) => {
    const id = next++;
    pending.set(id, resolve);
    worker.postMessage({ id, sql, params });
  });

function mainThreadCPUMicros(): number {
  const t = threadCPUMicros('self');
  return (t.get('main user') ?? 0) + (t.get('main sys') ?? 0);
}

const sql = 'select "sessions"."id_hash", "sessions"."kind", "sessions"."subject_id", "sessions"."level" from "sessions" where "sessions"."id_hash" = ? and "sessions"."kind" = ?';
const hash = '0193f2c1a2b3' + 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

async function round(n: number): Promise<{ cpu: number; wall: number }> {
  let sent = 0;
  const cpu0 = mainThreadCPUMicros();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (sent < n) {
        sent++;
        await call(sql, [hash, 'contact']);
      }
    }),
  );
  return { cpu: (mainThreadCPUMicros() - cpu0) / n, wall: ((performance.now() - t0) * 1000) / n };
}

await round(20_000); // warm-up
for (let r = 1; r <= 3; r++) {
  const { cpu, wall } = await round(CALLS);
  console.log(`round ${r}: ${CALLS.toLocaleString('en')} round trips, ${IN_FLIGHT} in flight: event loop CPU ${cpu.toFixed(1)} µs each, wall ${wall.toFixed(1)} µs each`);
}
console.log(describeMachine());
await worker.terminate();
