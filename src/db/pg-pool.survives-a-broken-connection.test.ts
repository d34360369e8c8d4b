import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { sql } from 'kysely';
import { openDatabase } from './index.js';

// PostgreSQL only: SQLite has no connection to lose. Runs in the PostgreSQL pass of `npm test`.
const PG_URL = process.env.PORTICO_TEST_DATABASE_URL || null;

describe.runIf(PG_URL)('PostgreSQL pool', () => {
  it('survives a pooled connection killed under it: reports it, does not crash, and the next query reconnects', async () => {
    const name = `portico-broken-${randomBytes(4).toString('hex')}`;
    const url = new URL(PG_URL!);
    url.searchParams.set('application_name', name);
    const errors: Error[] = [];
    const d = await openDatabase(url.toString(), { poolSize: 2, onConnectionError: (e) => errors.push(e) });
    try {
      expect((await sql<{ one: number }>`select 1 as one`.execute(d.db)).rows[0].one).toBe(1);
      // Another session terminates the pool's (now idle) backend, as a server restart would.
      const admin = new pg.Client({ connectionString: PG_URL! });
      await admin.connect();
      const killed = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]);
      await admin.end();
      expect(killed.rowCount).toBeGreaterThan(0);
      const deadline = Date.now() + 5000;
      while (!errors.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(errors.length).toBeGreaterThan(0);
      expect((await sql<{ one: number }>`select 1 as one`.execute(d.db)).rows[0].one).toBe(1);
    } finally {
      await d.close();
    }
  });
});
