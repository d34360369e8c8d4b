import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type { DB, Database, Dialect } from './types.js';

export type { DB, Database, Dialect, Executor } from './types.js';

// PostgreSQL returns BIGINT (counts, bigserial) as strings; every such value here is far
// below 2^53, so numbers are safe and keep the two engines' rows alike.
pg.types.setTypeParser(20, (v) => Number(v));

export interface Database_ {
  db: DB;
  dialect: Dialect;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL only: use (and create) this schema, for isolated test databases. */
  schema?: string;
  poolSize?: number;
}

/** Opens `sqlite:<path>` (`sqlite::memory:` for memory) or `postgres://…`. */
export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Database_> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    const sqlite = new SQLite(path === ':memory:' ? ':memory:' : path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    return { db, dialect: 'sqlite', close: () => db.destroy() };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    if (options.schema) {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema.replace(/"/g, '')}"`);
      await admin.end();
    }
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      ...(options.schema ? { options: `-c search_path="${options.schema.replace(/"/g, '')}",public` } : {}),
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', close: () => db.destroy() };
  }
  throw new Error(`unsupported DATABASE_URL: ${url.split(':')[0]}`);
}

/**
 * Kysely prepares every query afresh, and preparing costs better-sqlite3 more than running a
 * small query does (a password sign-in runs about fifteen). The SQL text of Kysely's queries
 * takes its values as parameters, so a few hundred distinct statements cover the whole
 * application; keep them prepared. Statements are only ever used synchronously one at a time
 * on this single connection, so sharing them is safe.
 */
function withStatementCache(sqlite: SQLite.Database, max = 500): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  return new Proxy(sqlite, {
    get(target, prop) {
      if (prop === 'prepare') {
        return (source: string) => {
          let stmt = cache.get(source);
          if (!stmt) {
            stmt = target.prepare(source);
            if (cache.size >= max) cache.delete(cache.keys().next().value!);
            cache.set(source, stmt);
          }
          return stmt;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** True once the database answers a trivial query. */
export async function pingDatabase(db: DB): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
