import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../types.js';

type AnyDB = Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Contact search, PostgreSQL: a query of one or two characters is a prefix match on the email
 * or the lower-cased name (store.searchContacts), which the trigram index cannot serve. Without
 * these, a rare prefix ("xi") walked the whole table newest-first (~300 ms at 1M contacts);
 * with them the planner reads just the matching rows, and still walks newest-first for common
 * prefixes where that is quicker. SQLite keeps its FTS5 table and needs nothing here.
 */
export async function up(db: AnyDB, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`CREATE INDEX contacts_email_prefix ON contacts (email text_pattern_ops)`.execute(db);
  await sql`CREATE INDEX contacts_name_prefix ON contacts ((lower(name)) text_pattern_ops)`.execute(db);
}
