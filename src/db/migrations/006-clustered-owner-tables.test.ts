import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { TEST_PG_URL } from '../../../test/helpers/database.js';
import { openDatabase } from '../index.js';
import * as m001 from './001-foundation.js';
import * as m002 from './002-mfa.js';
import * as m003 from './003-staff-toolkit.js';
import * as m004 from './004-incident-response.js';
import * as m005 from './005-contact-search-prefix.js';
import * as m006 from './006-clustered-owner-tables.js';

// 006 rebuilds four SQLite tables (PostgreSQL is untouched by it), so this runs on SQLite only.
describe.runIf(!TEST_PG_URL)('migration 006 on SQLite: tables clustered by owner', () => {
  const at = '2026-01-01T00:00:00.000Z';
  const later = '2026-12-31T00:00:00.000Z';
  const TABLES = ['recovery_codes', 'remembered_devices', 'sessions', 'email_tokens'];
  const dump = (d: Awaited<ReturnType<typeof openDatabase>>) => Promise.all(TABLES.map((t) => sql.raw(`SELECT * FROM ${t} ORDER BY 1`).execute(d.db)));

  async function migratedTo005WithRows() {
    const d = await openDatabase('sqlite::memory:');
    for (const m of [m001, m002, m003, m004, m005]) await m.up(d.db, 'sqlite');
    const db = d.db;
    await db.insertInto('recovery_codes').values([
      { id: 'rc_1', owner_kind: 'contact', owner_id: 'ct_a', code_hash: 'h1', created_at: at, used_at: null },
      { id: 'rc_2', owner_kind: 'contact', owner_id: 'ct_a', code_hash: 'h2', created_at: at, used_at: at },
      { id: 'rc_3', owner_kind: 'staff', owner_id: 'st_b', code_hash: 'h3', created_at: at, used_at: null },
    ]).execute();
    await db.insertInto('remembered_devices').values({ id: 'rd_1', owner_kind: 'contact', owner_id: 'ct_a', token_hash: 'dev-hash', browser: 'Firefox', ip: '192.0.2.1', created_at: at, last_used_at: null, expires_at: later }).execute();
    await db.insertInto('sessions').values({ id_hash: 'sess-hash', kind: 'contact', subject_id: 'ct_a', level: 'full', created_at: at, last_seen_at: at, expires_at: later, step_up_at: null, ip: null, user_agent: 'UA' }).execute();
    await db.insertInto('email_tokens').values({ token_hash: 'tok-hash', purpose: 'verify_email', subject_kind: 'contact', subject_id: 'ct_a', data: '{"x":1}', created_at: at, expires_at: later, used_at: null }).execute();
    return d;
  }

  it('keeps every row and column as it was', async () => {
    const d = await migratedTo005WithRows();
    const before = await dump(d);
    await m006.up(d.db, 'sqlite');
    const after = await dump(d);
    expect(after.map((r) => r.rows)).toEqual(before.map((r) => r.rows));
    await d.close();
  });

  it('makes them WITHOUT ROWID tables keyed by owner, with the hash lookups still unique', async () => {
    const d = await migratedTo005WithRows();
    await m006.up(d.db, 'sqlite');
    const ddl = await sql<{ name: string; sql: string }>`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ('recovery_codes', 'remembered_devices', 'sessions', 'email_tokens')`.execute(d.db);
    expect(ddl.rows).toHaveLength(4);
    for (const t of ddl.rows) expect(t.sql, t.name).toMatch(/WITHOUT ROWID$/);
    expect(ddl.rows.find((t) => t.name === 'recovery_codes')!.sql).toContain('PRIMARY KEY (owner_kind, owner_id, id)');
    // A second session, device or emailed token with the same hash is refused, as before.
    await expect(
      d.db.insertInto('sessions').values({ id_hash: 'sess-hash', kind: 'contact', subject_id: 'ct_other', level: 'full', created_at: at, last_seen_at: at, expires_at: later, step_up_at: null, ip: null, user_agent: null }).execute(),
    ).rejects.toThrow(/UNIQUE/);
    await expect(
      d.db.insertInto('remembered_devices').values({ id: 'rd_2', owner_kind: 'contact', owner_id: 'ct_other', token_hash: 'dev-hash', browser: 'X', ip: null, created_at: at, last_used_at: null, expires_at: later }).execute(),
    ).rejects.toThrow(/UNIQUE/);
    await expect(
      d.db.insertInto('email_tokens').values({ token_hash: 'tok-hash', purpose: 'password_reset', subject_kind: 'contact', subject_id: 'ct_other', data: null, created_at: at, expires_at: later, used_at: null }).execute(),
    ).rejects.toThrow(/UNIQUE/);
    // The lookups by hash use the new unique indexes, not a scan.
    for (const [q, index] of [
      ["SELECT * FROM sessions WHERE id_hash = 'sess-hash'", 'sessions_id'],
      ["SELECT * FROM remembered_devices WHERE token_hash = 'dev-hash'", 'remembered_devices_token'],
      ["SELECT * FROM email_tokens WHERE token_hash = 'tok-hash'", 'email_tokens_token'],
    ]) {
      const plan = await sql.raw<{ detail: string }>(`EXPLAIN QUERY PLAN ${q}`).execute(d.db);
      expect(plan.rows.map((r) => r.detail).join(' '), q).toContain(index);
    }
    await d.close();
  });
});
