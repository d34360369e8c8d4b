import { Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import type { DB, Dialect } from './types.js';
import * as m001 from './migrations/001-foundation.js';
import * as m002 from './migrations/002-mfa.js';
import * as m003 from './migrations/003-staff-toolkit.js';
import * as m004 from './migrations/004-incident-response.js';
import * as m005 from './migrations/005-contact-search-prefix.js';
import * as m006 from './migrations/006-clustered-owner-tables.js';
import * as m007 from './migrations/007-outbox-rendered-at-delivery.js';
import * as m008 from './migrations/008-api-token-creator.js';
import * as m009 from './migrations/009-temporary-code-session.js';
import * as m010 from './migrations/010-fewer-random-pages-per-sign-in.js';

// Migrations are listed here in order; each takes the dialect, since a few statements
// (search indexes) differ between SQLite and PostgreSQL.
const MIGRATIONS: Array<[string, { up(db: DB, dialect: Dialect): Promise<void> }]> = [
  ['001-foundation', m001],
  ['002-mfa', m002],
  ['003-staff-toolkit', m003],
  ['004-incident-response', m004],
  ['005-contact-search-prefix', m005],
  ['006-clustered-owner-tables', m006],
  ['007-outbox-rendered-at-delivery', m007],
  ['008-api-token-creator', m008],
  ['009-temporary-code-session', m009],
  ['010-fewer-random-pages-per-sign-in', m010],
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
  // Kysely's introspection lists every table of every schema, calling pg_get_serial_sequence on
  // each by name: when another app or test drops a schema during that query, it fails with
  // "schema … does not exist". The migrator only asks which schemas and tables exist, so on
  // PostgreSQL it gets an introspector that reads exactly that.
  const migratorDB = migrationTableSchema ? withPlainIntrospection(db) : db;
  const migrator = new Migrator({ db: migratorDB, provider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

function withPlainIntrospection(db: DB): DB {
  const introspection = {
    async getSchemas() {
      return (await sql<{ name: string }>`SELECT nspname AS name FROM pg_catalog.pg_namespace`.execute(db)).rows;
    },
    async getTables() {
      const rows = (await sql<{ name: string; schema: string }>`SELECT table_name AS name, table_schema AS schema FROM information_schema.tables`.execute(db)).rows;
      return rows.map((r) => ({ ...r, isView: false, columns: [] }));
    },
    async getMetadata() {
      return { tables: await introspection.getTables() };
    },
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'introspection') return introspection;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
