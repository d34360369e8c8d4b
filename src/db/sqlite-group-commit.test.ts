import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, untilCommitted, type Database_ } from './index.js';

// SQLite's group commit (sqlite-group-commit.ts), whatever database the rest of the suite
// runs on: the transactions of one event-loop turn commit together. What callers rely on is
// that nothing resolves before it is on disk, and that the transactions stay independent.
// A second connection to the same file (as the CLI or another process would open) shows what
// is committed.

describe('SQLite group commit', () => {
  let dir: string;
  let d: Database_;
  let other: SQLite.Database;
  const committedNames = () => (other.prepare('select name from t order by name').all() as Array<{ name: string }>).map((r) => r.name);
  const insert = (name: string) => sql`insert into t (name) values (${name})`;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portico-group-commit-'));
    d = await openDatabase(`sqlite:${join(dir, 'g.db')}`);
    await sql`create table parent (id integer primary key)`.execute(d.db);
    await sql`create table t (name text primary key, parent integer references parent(id) deferrable initially deferred)`.execute(d.db);
    other = new SQLite(join(dir, 'g.db'), { readonly: true });
  });
  afterEach(async () => {
    other.close();
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('no transaction resolves before its writes are committed, and those of one turn commit together', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `n${String(i).padStart(2, '0')}`);
    const seenAtResolve: string[][] = [];
    await Promise.all(
      names.map((name) =>
        d.db
          .transaction()
          .execute((trx) => insert(name).execute(trx))
          .then(() => {
            seenAtResolve.push(committedNames());
          }),
      ),
    );
    // Each one, when it resolved, was on disk, with all twenty (one COMMIT for the turn).
    expect(seenAtResolve).toHaveLength(20);
    for (const seen of seenAtResolve) expect(seen).toEqual(names);
  });

  it('a transaction that rolls back leaves the others of its group committed', async () => {
    const results = await Promise.allSettled([
      d.db.transaction().execute((trx) => insert('a').execute(trx)),
      d.db.transaction().execute(async (trx) => {
        await insert('b').execute(trx);
        throw new Error('b changes its mind');
      }),
      d.db.transaction().execute((trx) => insert('c').execute(trx)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(committedNames()).toEqual(['a', 'c']);
  });

  it('the first transaction of a turn, rolling back, takes nothing of those after it', async () => {
    const results = await Promise.allSettled([
      d.db.transaction().execute(async (trx) => {
        await insert('first').execute(trx);
        throw new Error('first changes its mind');
      }),
      d.db.transaction().execute((trx) => insert('second').execute(trx)),
      d.db.transaction().execute(async (trx) => {
        await insert('third').execute(trx);
        throw new Error('third changes its mind');
      }),
      d.db.transaction().execute((trx) => insert('fourth').execute(trx)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect(committedNames()).toEqual(['fourth', 'second']);
  });

  it('a statement outside a transaction may read a finished one before its COMMIT, but untilCommitted holds what it would answer until then', async () => {
    const tx = d.db.transaction().execute((trx) => insert('x').execute(trx));
    // Let the transaction run to its end, without giving the event loop its turn's end.
    for (let i = 0; i < 20; i++) await Promise.resolve();
    const rows = await sql<{ name: string }>`select name from t`.execute(d.db);
    expect(rows.rows.map((r) => r.name)).toEqual(['x']);
    const pending = untilCommitted(d.db);
    expect(pending).not.toBeNull();
    expect(committedNames()).toEqual([]);
    await pending;
    expect(committedNames()).toEqual(['x']);
    await tx;
    expect(untilCommitted(d.db)).toBeNull();
  });

  it('a group that cannot commit fails every transaction in it, and what waits for it', async () => {
    await sql`insert into parent (id) values (1)`.execute(d.db);
    const good = d.db.transaction().execute((trx) => sql`insert into t (name, parent) values ('good', 1)`.execute(trx));
    // A deferred foreign key is checked only by the COMMIT, which then fails for the whole group.
    const bad = d.db.transaction().execute((trx) => sql`insert into t (name, parent) values ('orphan', 99)`.execute(trx));
    for (let i = 0; i < 20; i++) await Promise.resolve();
    const waiting = untilCommitted(d.db);
    const results = await Promise.allSettled([good, bad, waiting]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(committedNames()).toEqual([]);
    // The connection is usable again, and the next transaction commits on its own.
    await d.db.transaction().execute((trx) => insert('after').execute(trx));
    expect(committedNames()).toEqual(['after']);
  });

  it('a transaction waiting on something slow keeps its place, and the group commits after it', async () => {
    let finish!: () => void;
    const slow = d.db.transaction().execute(async (trx) => {
      await insert('slow').execute(trx);
      await new Promise<void>((r) => (finish = r));
    });
    for (let i = 0; i < 20; i++) await Promise.resolve();
    const quick = d.db.transaction().execute((trx) => insert('quick').execute(trx));
    await new Promise((r) => setTimeout(r, 30));
    // The turn ended long ago, but the slow transaction still runs: nothing is committed yet.
    expect(committedNames()).toEqual([]);
    finish();
    await Promise.all([slow, quick]);
    expect(committedNames()).toEqual(['quick', 'slow']);
  });
});
