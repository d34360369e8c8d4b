import { describe, expect, it } from 'vitest';
import { TEST_PG_URL, useMigratedDatabase } from '../../test/helpers/database.js';
import { inSet, insertSet } from './sets.js';

// The same suite runs on SQLite and, when PORTICO_TEST_DATABASE_URL is set, on PostgreSQL
// (where these become = ANY(array) and INSERT … SELECT FROM unnest(arrays)).
const AWKWARD = ['plain', 'with "double" quotes', "it's", 'back\\slash', '{braces}, commas', 'NULL', '', 'naïve ☃ 🔐', 'line\nbreak', '<p style="a:b">html</p>'];

describe(`set-based statements (${TEST_PG_URL ? 'postgres' : 'sqlite'})`, () => {
  const db = useMigratedDatabase('sets');

  it('inserts every row exactly as given, awkward text, nulls and integers included, and finds them by set', async () => {
    const at = '2026-11-28T00:00:00.000Z';
    const rows = AWKWARD.map((text, i) => ({ id: `em_${i}`, recipient: `r${i}@example.com`, subject: text, text_body: text, html_body: text, created_at: at, next_attempt_at: at, sent_at: null, last_error: i % 2 ? null : text, locked_until: null, priority: i }));
    await insertSet(db.d.db, db.d.dialect, 'outbox', rows, { priority: 'int' });
    const back = await db.d.db.selectFrom('outbox').select(['id', 'subject', 'text_body', 'html_body', 'last_error', 'priority', 'sent_at']).where(inSet(db.d.dialect, 'id', rows.map((r) => r.id))).orderBy('priority').execute();
    expect(back).toEqual(rows.map((r) => ({ id: r.id, subject: r.subject, text_body: r.text_body, html_body: r.html_body, last_error: r.last_error, priority: r.priority, sent_at: null })));
    // Only the ids asked for; an empty set matches nothing.
    expect((await db.d.db.selectFrom('outbox').select('id').where(inSet(db.d.dialect, 'id', ['em_1', 'em_3', 'nope'])).orderBy('id').execute()).map((r) => r.id)).toEqual(['em_1', 'em_3']);
    expect(await db.d.db.selectFrom('outbox').select('id').where(inSet(db.d.dialect, 'id', [])).execute()).toEqual([]);
    // Numeric sets (bigint on PostgreSQL).
    const seqs = (await db.d.db.selectFrom('outbox').select('seq').orderBy('seq').execute()).map((r) => Number(r.seq));
    const some = await db.d.db.selectFrom('outbox').select('id').where(inSet(db.d.dialect, 'seq', seqs.slice(0, 3), 'bigint')).execute();
    expect(some).toHaveLength(3);
  });

  it('inserts thousands of rows in one call (past SQLite’s bound-parameter limit and PostgreSQL’s 500 rows a statement)', async () => {
    const at = '2026-11-28T00:00:00.000Z';
    const rows = Array.from({ length: 5000 }, (_, i) => ({ token_hash: `h${i}`, purpose: 'mfa_setup', subject_kind: 'contact', subject_id: `ct_${i}`, data: null, created_at: at, expires_at: at, used_at: null }));
    await insertSet(db.d.db, db.d.dialect, 'email_tokens', rows);
    const n = await db.d.db.selectFrom('email_tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(5000);
  });
});
