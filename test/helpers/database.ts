import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import pg from 'pg';
import { openDatabase, type Database_ } from '../../src/db/index.js';
import { migrateToLatest } from '../../src/db/migrate.js';

/** PostgreSQL when PORTICO_TEST_DATABASE_URL is set, else SQLite: the suite runs on both. */
export const TEST_PG_URL = process.env.PORTICO_TEST_DATABASE_URL || null;

/**
 * A migrated database for the tests of the enclosing describe, without an app: an in-memory
 * SQLite, or a fresh PostgreSQL schema named after `prefix` that is dropped afterwards.
 * `seed` runs once after migrating. Read `.d` inside tests.
 */
export function useMigratedDatabase(prefix: string, seed?: (d: Database_) => Promise<void>): { d: Database_ } {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  const holder = {} as { d: Database_ };
  beforeAll(async () => {
    holder.d = await openDatabase(TEST_PG_URL ?? 'sqlite::memory:', TEST_PG_URL ? { schema } : {});
    await migrateToLatest(holder.d.db, holder.d.dialect);
    await seed?.(holder.d);
  });
  afterAll(async () => {
    await holder.d?.close();
    if (TEST_PG_URL) {
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    }
  });
  return holder;
}
