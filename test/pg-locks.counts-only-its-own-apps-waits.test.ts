import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestApp, dialectUnderTest, type TestApp } from './helpers/app.js';
import { holdLock, waitForLockWaits } from './helpers/pg-locks.js';
import { takeAdvisoryLock, type Executor } from '../src/db/index.js';

// The race tests on PostgreSQL queue their transactions behind a held lock and go on once
// waitForLockWaits sees them waiting. vitest runs test files side by side, each test app in its
// own schema of the one test database, and the helper counted the lock waits of the whole
// database: a wait in another file's app let a race test go on before its own transactions
// queued, run its steps out of order, and perhaps pass without the race. It now counts only
// the waits of the app it is given, whether on a row or on an advisory lock.
// PostgreSQL only: SQLite runs one writing transaction at a time.

describe.skipIf(dialectUnderTest !== 'postgres')('waiting for lock waits', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await Promise.all([createTestApp({ runJobs: false }), createTestApp({ runJobs: false })]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  const rowLock = (trx: Executor) => sql`select id from audit_head where id = 1 for update`.execute(trx);
  const key = `portico.test:pg-locks:${Math.random()}`;

  it("does not count another app's waits, on a row or on an advisory lock, and counts its own", async () => {
    // Each app holds its audit head row (each in its own schema), and a holds an advisory lock.
    const aRow = holdLock(a, rowLock);
    const aKey = holdLock(a, (trx) => takeAdvisoryLock(trx, key));
    const bRow = holdLock(b, rowLock);
    const waiters: Promise<unknown>[] = [];
    try {
      await Promise.all([aRow.held, aKey.held, bRow.held]);
      // In app a, one transaction waits on the row, one on the advisory lock.
      waiters.push(a.ctx.db.transaction().execute(rowLock), a.ctx.db.transaction().execute((trx) => takeAdvisoryLock(trx, key)));
      await waitForLockWaits(a, 2);

      // Nothing of b waits: a's waits are not b's.
      await expect(waitForLockWaits(b, 1)).rejects.toThrow(/never saw 1 transactions/);

      // One transaction of b queues: b sees exactly that one, not a's two besides.
      waiters.push(b.ctx.db.transaction().execute(rowLock));
      await waitForLockWaits(b, 1);
      await expect(waitForLockWaits(b, 2)).rejects.toThrow(/never saw 2 transactions/);
    } finally {
      await Promise.all([aRow.release(), aKey.release(), bRow.release()]);
      await Promise.all(waiters);
    }
  });
});
