import { Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import type { DB, Dialect } from './types.js';
import * as m001 from './migrations/001-foundation.js';
import * as m002 from './migrations/002-mfa.js';
import * as m003 from './migrations/003-staff-toolkit.js';
import * as m004 from './migrations/004-incident-response.js';
import * as m005 from './migrations/005-contact-search-prefix.js';

// Migrations are listed here in order; each takes the dialect, since a few statements
// (search indexes) differ between SQLite and PostgreSQL.
const MIGRATIONS: Array<[string, { up(db: DB, dialect: Dialect): Promise<void> }]> = [
  ['001-foundation', m001],
  ['002-mfa', m002],
  ['003-staff-toolkit', m003],
  ['004-incident-response', m004],
  ['005-contact-search-prefix', m005],
];

/** Applies pending migrations; returns the names applied. Throws with the failing name. */
export async function migrateToLatest(db: DB, dialect: Dialect): Promise<string[]> {
  const provider: MigrationProvider = {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, m] of MIGRATIONS) out[name] = { up: (d) => m.up(d as DB, dialect) };
      return out;
    },
  };
  // Kysely looks for its bookkeeping tables in every schema unless told which one to use, so
  // a kysely_migration table in any other schema of the same database (another app, or a
  // parallel test's schema) made it skip creating ours and then fail. Name ours explicitly.
  const migrationTableSchema =
    dialect === 'postgres' ? (await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db)).rows[0]?.schema : undefined;
  const migrator = new Migrator({ db, provider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
