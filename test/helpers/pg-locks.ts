import { sql } from 'kysely';
import type { Executor } from '../../src/db/index.js';
import type { TestApp } from './app.js';

/**
 * For race tests on PostgreSQL: a transaction that takes a lock (a row held `for update`, an
 * advisory lock) and keeps it until released, so that the transactions under test queue
 * behind it in a chosen order.
 */
export function holdLock(t: TestApp, take: (trx: Executor) => Promise<unknown>): { held: Promise<void>; release(): Promise<void> } {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let held!: () => void;
  const holding = new Promise<void>((r) => (held = r));
  const done = t.ctx.db.transaction().execute(async (trx) => {
    await take(trx);
    held();
    await gate;
  });
  return {
    held: holding,
    release: async () => {
      open();
      await done;
    },
  };
}

/** Waits until at least `n` transactions of the test database wait on a lock (row or advisory). */
export async function waitForLockWaits(t: TestApp, n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await sql<{ n: string }>`select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`.execute(t.ctx.db);
    if (Number(r.rows[0].n) >= n) return;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`never saw ${n} transactions waiting on a lock`);
}

/** How a promise ended: its value, or the error's code and message (for "both succeeded" checks). */
export function settled<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (e: { code?: string; message?: string }) => ({ ok: false as const, error: `${e?.code ?? ''} ${e?.message ?? String(e)}` }),
  );
}
