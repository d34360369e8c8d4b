import { describe, expect, it } from 'vitest';
import { TEST_PG_URL, useMigratedDatabase } from '../../test/helpers/database.js';
import { prepared } from './prepared.js';

// The same suite runs on SQLite and, when PORTICO_TEST_DATABASE_URL is set, on PostgreSQL.

const byEmail = prepared<{ email: string }, { id: string; email: string }>((db, p) => db.selectFrom('contacts').select(['id', 'email']).where('email', '=', p.email));
const byName = prepared<{ name: string }, { id: string }>((db, p) => db.selectFrom('contacts').select('id').where('name', '=', p.name));
const rename = prepared<{ id: string; name: string; at: string }, never>((db, p) =>
  db.updateTable('contacts').set({ name: p.name, updated_at: p.at }).where('id', '=', p.id).where((eb) => eb.or([eb('name', '!=', p.name), eb('updated_at', '<', p.at)])),
);

describe(`prepared queries (${TEST_PG_URL ? 'postgres' : 'sqlite'})`, () => {
  const db = useMigratedDatabase('prepared', async (d) => {
    const at = '2026-01-01T00:00:00.000Z';
    for (const n of [1, 2, 3]) {
      await d.db.insertInto('contacts').values({ id: `ct_${n}`, email: `p${n}@example.com`, name: `P${n}`, password_hash: null, email_verified_at: null, created_at: at, updated_at: at }).execute();
    }
  });

  it('runs the SQL Kysely compiles, with each call’s own values', async () => {
    expect(await byEmail.first(db.d.db, { email: 'p2@example.com' })).toEqual({ id: 'ct_2', email: 'p2@example.com' });
    expect(await byEmail.first(db.d.db, { email: 'p3@example.com' })).toEqual({ id: 'ct_3', email: 'p3@example.com' });
    expect(await byEmail.first(db.d.db, { email: 'nobody@example.com' })).toBeUndefined();
    expect(await byEmail.all(db.d.db, { email: 'p1@example.com' })).toHaveLength(1);
  });

  it('returns rows equal to Kysely’s own: every column, aliases, nulls and numbers, and what RETURNING gives', async () => {
    // On SQLite prepared queries read rows as arrays and build the objects themselves.
    const all = prepared<{ id: string }, Record<string, unknown>>((db, p) => db.selectFrom('contacts').selectAll().where('id', '=', p.id));
    expect(await all.first(db.d.db, { id: 'ct_3' })).toEqual(await db.d.db.selectFrom('contacts').selectAll().where('id', '=', 'ct_3').executeTakeFirstOrThrow());
    const aliased = prepared<{ id: string }, { who: string; nothing: null; n: number }>((db, p) =>
      db.selectFrom('contacts').select((eb) => ['email as who', 'password_hash as nothing', eb.fn.countAll<number>().as('n')]).where('id', '=', p.id).groupBy(['email', 'password_hash']),
    );
    const row = await aliased.first(db.d.db, { id: 'ct_3' });
    expect(Object.keys(row!)).toEqual(['who', 'nothing', 'n']);
    expect({ ...row, n: Number(row!.n) }).toEqual({ who: 'p3@example.com', nothing: null, n: 1 });
    const returning = prepared<{ id: string; at: string }, { id: string; updated_at: string }>((db, p) =>
      db.updateTable('contacts').set({ updated_at: p.at }).where('id', '=', p.id).returning(['id', 'updated_at']),
    );
    expect(await returning.all(db.d.db, { id: 'ct_3', at: '2026-01-02T00:00:00.000Z' })).toEqual([{ id: 'ct_3', updated_at: '2026-01-02T00:00:00.000Z' }]);
    expect(await returning.all(db.d.db, { id: 'ct_missing', at: '2026-01-02T00:00:00.000Z' })).toEqual([]);
  });

  it('binds a value used twice in both places, and reports the rows a write changed', async () => {
    expect(await rename.affected(db.d.db, { id: 'ct_1', name: 'Renamed', at: '2026-02-01T00:00:00.000Z' })).toBe(1);
    // Same name and not newer: the condition (which uses both values twice) matches nothing.
    expect(await rename.affected(db.d.db, { id: 'ct_1', name: 'Renamed', at: '2026-02-01T00:00:00.000Z' })).toBe(0);
    expect(await rename.affected(db.d.db, { id: 'ct_missing', name: 'X', at: '2026-03-01T00:00:00.000Z' })).toBe(0);
    const row = await db.d.db.selectFrom('contacts').select(['name', 'updated_at']).where('id', '=', 'ct_1').executeTakeFirstOrThrow();
    expect(row).toEqual({ name: 'Renamed', updated_at: '2026-02-01T00:00:00.000Z' });
  });

  it('runs inside a transaction, and rolls back with it', async () => {
    await expect(
      db.d.db.transaction().execute(async (trx) => {
        expect(await rename.affected(trx, { id: 'ct_2', name: 'In a transaction', at: '2026-04-01T00:00:00.000Z' })).toBe(1);
        expect((await byEmail.first(trx, { email: 'p2@example.com' }))?.id).toBe('ct_2');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const row = await db.d.db.selectFrom('contacts').select('name').where('id', '=', 'ct_2').executeTakeFirstOrThrow();
    expect(row.name).toBe('P2');
  });

  it('outside a transaction, never sees another request’s open transaction: it waits for its commit', async () => {
    // On SQLite a prepared query may run on the connection directly (prepared.ts); it must not
    // do so while another caller's transaction holds the connection, or it would read (and
    // write) inside that transaction. Here a transaction renames a contact and waits; a query
    // from outside meanwhile must answer only after the commit, with the committed name.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let renamedInside!: () => void;
    const inside = new Promise<void>((r) => (renamedInside = r));
    const tx = db.d.db.transaction().execute(async (trx) => {
      expect(await rename.affected(trx, { id: 'ct_3', name: 'Uncommitted', at: '2026-05-01T00:00:00.000Z' })).toBe(1);
      // Inside its own transaction a query sees its own write.
      expect((await byName.first(trx, { name: 'Uncommitted' }))?.id).toBe('ct_3');
      renamedInside();
      await held;
    });
    await inside;
    let answered = false;
    const outside = byName.first(db.d.db, { name: 'Uncommitted' }).then((r) => {
      answered = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 50));
    if (!TEST_PG_URL) expect(answered).toBe(false);
    release();
    await tx;
    const seen = await outside;
    // SQLite waited for the commit and saw it; PostgreSQL (READ COMMITTED) answered at once
    // with what was committed then: either way, never the uncommitted row by itself.
    if (!TEST_PG_URL) expect(seen?.id).toBe('ct_3');
    else expect(seen).toBeUndefined();
  });

  it('refuses a declared parameter that never reaches the SQL', async () => {
    const broken = prepared<{ id: string }, { id: string }>((db, p) => {
      void p.id;
      return db.selectFrom('contacts').select('id').where('id', '=', 'ct_1');
    });
    await expect(broken.first(db.d.db, { id: 'ct_1' })).rejects.toThrow('parameter id did not reach the SQL');
  });
});
