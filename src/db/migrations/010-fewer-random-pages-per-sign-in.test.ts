import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { TEST_PG_URL, useMigratedDatabase } from '../../../test/helpers/database.js';
import { openDatabase } from '../index.js';
import * as m001 from './001-foundation.js';
import * as m002 from './002-mfa.js';
import * as m003 from './003-staff-toolkit.js';
import * as m004 from './004-incident-response.js';
import * as m005 from './005-contact-search-prefix.js';
import * as m006 from './006-clustered-owner-tables.js';
import * as m007 from './007-outbox-rendered-at-delivery.js';
import * as m008 from './008-api-token-creator.js';
import * as m009 from './009-temporary-code-session.js';
import * as m010 from './010-fewer-random-pages-per-sign-in.js';

const at = '2026-01-01T00:00:00.000Z';
const later = '2026-12-31T00:00:00.000Z';

describe(`migration 010 (${TEST_PG_URL ? 'postgres' : 'sqlite'}): the index by actor leaves out contacts' own acts`, () => {
  const db = useMigratedDatabase('migration_010');

  it('is partial, on actor_type <> contact', async () => {
    const def = TEST_PG_URL
      ? (await sql<{ def: string }>`SELECT indexdef AS def FROM pg_indexes WHERE indexname = 'audit_actor' AND schemaname = current_schema()`.execute(db.d.db)).rows[0]?.def
      : (await sql<{ def: string }>`SELECT sql AS def FROM sqlite_master WHERE type = 'index' AND name = 'audit_actor'`.execute(db.d.db)).rows[0]?.def;
    expect(def).toMatch(/\(actor_id, seq\)/);
    expect(def).toMatch(/WHERE \(?\(?actor_type\)?(::text)? <> 'contact'/);
  });
});

// The challenges' table is rebuilt on SQLite only.
describe.runIf(!TEST_PG_URL)('migration 010 on SQLite: challenges in a WITHOUT ROWID table', () => {
  it('keeps every challenge as it was, keyed by (session_hash, purpose), one per key', async () => {
    const d = await openDatabase('sqlite::memory:');
    for (const m of [m001, m002, m003, m004, m005, m006, m007, m008, m009]) await m.up(d.db, 'sqlite');
    await d.db.insertInto('mfa_challenges').values([
      { session_hash: 'sess-a', purpose: 'sign_in', challenge: null, attempts: 2, expires_at: later },
      { session_hash: 'sess-a', purpose: 'step_up', challenge: 'webauthn-challenge', attempts: 0, expires_at: at },
      { session_hash: 'sess-b', purpose: 'sign_in', challenge: null, attempts: 5, expires_at: later },
    ]).execute();
    const dump = () => sql`SELECT * FROM mfa_challenges ORDER BY session_hash, purpose`.execute(d.db);
    const before = (await dump()).rows;
    await m010.up(d.db, 'sqlite');
    expect((await dump()).rows).toEqual(before);
    const ddl = (await sql<{ sql: string }>`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'mfa_challenges'`.execute(d.db)).rows[0].sql;
    expect(ddl).toMatch(/PRIMARY KEY \(session_hash, purpose\)\) WITHOUT ROWID$/);
    await expect(d.db.insertInto('mfa_challenges').values({ session_hash: 'sess-a', purpose: 'sign_in', challenge: null, attempts: 0, expires_at: later }).execute()).rejects.toThrow(/UNIQUE/);
    // The default still applies.
    await sql`INSERT INTO mfa_challenges (session_hash, purpose, expires_at) VALUES ('sess-c', 'sign_in', ${later})`.execute(d.db);
    expect((await d.db.selectFrom('mfa_challenges').select('attempts').where('session_hash', '=', 'sess-c').executeTakeFirstOrThrow()).attempts).toBe(0);
    await d.close();
  });
});
