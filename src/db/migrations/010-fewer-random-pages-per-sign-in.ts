import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../types.js';

type AnyDB = Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Two b-trees fewer to change at a random place on every sign-in (each such page is one more
 * page for the commit to write; bench/second-step.ts).
 *
 * - The audit log's index by actor leaves out the events whose actor is a contact. A contact
 *   only ever acts on its own account, so such an event carries the contact's id as its
 *   contact_id too (appendAuditEvents makes sure), and the index by contact finds it: the
 *   audit log's filter by actor asks that index for a contact's id (src/audit/routes.ts). The
 *   old index held a second entry for every customer sign-in, at the contact's place.
 * - SQLite: the pending second steps' challenges are stored in a WITHOUT ROWID table keyed by
 *   (session_hash, purpose), one b-tree instead of a rowid table plus the index of that key.
 *   Rows are copied as they are. PostgreSQL's table is a heap with its key index, as before.
 */
export async function up(db: AnyDB, dialect: Dialect): Promise<void> {
  await sql`DROP INDEX audit_actor`.execute(db);
  await sql`CREATE INDEX audit_actor ON audit_events (actor_id, seq) WHERE actor_type <> 'contact'`.execute(db);
  if (dialect !== 'sqlite') return;
  await sql`ALTER TABLE mfa_challenges RENAME TO mfa_challenges_old`.execute(db);
  await sql`CREATE TABLE mfa_challenges (session_hash text NOT NULL, purpose text NOT NULL, challenge text, attempts integer NOT NULL DEFAULT 0, expires_at text NOT NULL, PRIMARY KEY (session_hash, purpose)) WITHOUT ROWID`.execute(db);
  await sql`INSERT INTO mfa_challenges (session_hash, purpose, challenge, attempts, expires_at) SELECT session_hash, purpose, challenge, attempts, expires_at FROM mfa_challenges_old`.execute(db);
  await sql`DROP TABLE mfa_challenges_old`.execute(db);
}
