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

/**
 * Waits until at least `n` transactions of this test app wait on a lock (row or advisory).
 * Only the app's own connections count: vitest runs test files side by side, each app in its
 * own schema of the one test database, and a lock wait in another file's app must not let a
 * race test go on before its own transactions queue. The app's connections are told by their
 * `application_name`, unique per test app (test/helpers/app.ts puts it in the app's URL). A
 * row-lock waiter waits on the holder's transaction id and an advisory one on a key, neither
 * on a relation of the schema, so the name, not the locked object, is what tells them apart.
 */
export async function waitForLockWaits(t: TestApp, n: number): Promise<void> {
  const name = testAppConnectionName(t);
  for (let i = 0; i < 200; i++) {
    const r = await sql<{ n: string }>`select count(*) as n from pg_stat_activity
      where datname = current_database() and application_name = ${name}
        and wait_event_type = 'Lock' and cardinality(pg_blocking_pids(pid)) > 0`.execute(t.ctx.db);
    if (Number(r.rows[0].n) >= n) return;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`never saw ${n} transactions of ${name} waiting on a lock`);
}

/** The `application_name` of a test app's PostgreSQL connections (see createTestApp). */
function testAppConnectionName(t: TestApp): string {
  const name = t.config.databaseURL.startsWith('postgres') ? new URL(t.config.databaseURL).searchParams.get('application_name') : null;
  if (!name) throw new Error('waitForLockWaits: the test app has no PostgreSQL application_name to tell its connections by');
  return name;
}

/** How a promise ended: its value, or the error's code and message (for "both succeeded" checks). */
export function settled<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (e: { code?: string; message?: string }) => ({ ok: false as const, error: `${e?.code ?? ''} ${e?.message ?? String(e)}` }),
  );
}
