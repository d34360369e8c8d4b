import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../types.js';

type AnyDB = Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * SQLite: recovery codes, remembered devices, sessions and email tokens are stored clustered by
 * their owner, in WITHOUT ROWID tables; what is looked up by a random hash (a session, a
 * device's cookie, an emailed token) has a unique index on it.
 *
 * Before, each of these was a rowid table plus an automatic index on its random text key plus
 * an owner index: every row lived in three b-trees, one of them in random order. Deleting a
 * batch of contacts' rows (a bulk reset, 10 recovery codes each) touched nearly every page of
 * the random index, and each commit wrote those pages to the WAL again. Now a contact's ten
 * codes sit side by side in one b-tree and leave with one range delete, and the only random
 * b-tree a reset touches is the small hash index. A bulk job walks its contacts in id order,
 * so a batch touches a run of neighbouring pages instead of pages all over the file.
 *
 * Rows are copied as they are; nothing changes for PostgreSQL, whose tables are heaps and whose
 * owner indexes already serve the same queries.
 */
export async function up(db: AnyDB, dialect: Dialect): Promise<void> {
  if (dialect !== 'sqlite') return;
  const rebuild = async (table: string, columns: string, key: string, indexes: string[]) => {
    await sql.raw(`ALTER TABLE ${table} RENAME TO ${table}_old`).execute(db);
    await sql.raw(`CREATE TABLE ${table} (${columns}, PRIMARY KEY (${key})) WITHOUT ROWID`).execute(db);
    const names = columns.split(',').map((c) => c.trim().split(' ')[0]).join(', ');
    await sql.raw(`INSERT INTO ${table} (${names}) SELECT ${names} FROM ${table}_old`).execute(db);
    await sql.raw(`DROP TABLE ${table}_old`).execute(db);
    for (const i of indexes) await sql.raw(i).execute(db);
  };
  await rebuild(
    'recovery_codes',
    'id text NOT NULL, owner_kind text NOT NULL, owner_id text NOT NULL, code_hash text NOT NULL, created_at text NOT NULL, used_at text',
    'owner_kind, owner_id, id',
    [],
  );
  await rebuild(
    'remembered_devices',
    'id text NOT NULL, owner_kind text NOT NULL, owner_id text NOT NULL, token_hash text NOT NULL, browser text NOT NULL, ip text, created_at text NOT NULL, last_used_at text, expires_at text NOT NULL',
    'owner_kind, owner_id, id',
    ['CREATE UNIQUE INDEX remembered_devices_token ON remembered_devices (token_hash)'],
  );
  await rebuild(
    'sessions',
    'id_hash text NOT NULL, kind text NOT NULL, subject_id text NOT NULL, level text NOT NULL, created_at text NOT NULL, last_seen_at text NOT NULL, expires_at text NOT NULL, step_up_at text, ip text, user_agent text',
    'kind, subject_id, id_hash',
    ['CREATE UNIQUE INDEX sessions_id ON sessions (id_hash)'],
  );
  await rebuild(
    'email_tokens',
    'token_hash text NOT NULL, purpose text NOT NULL, subject_kind text NOT NULL, subject_id text NOT NULL, data text, created_at text NOT NULL, expires_at text NOT NULL, used_at text',
    'subject_kind, subject_id, purpose, token_hash',
    ['CREATE UNIQUE INDEX email_tokens_token ON email_tokens (token_hash)'],
  );
}
