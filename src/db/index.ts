import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { DB, Database, Dialect, Executor } from './types.js';
import { GroupCommitSqliteDialect, registerGroupCommit } from './sqlite-group-commit.js';

export type { DB, Database, Dialect, Executor } from './types.js';
export { untilCommitted } from './sqlite-group-commit.js';

/**
 * Whether a statement failed on a unique index or key: on PostgreSQL, two transactions that
 * both found a value free (READ COMMITTED) and both wrote it; the second one fails so.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * PostgreSQL: a transaction-scoped advisory lock on `key` (a name such as "portico.mfa:contact:ct_…"),
 * held until the transaction ends; transactions taking the same key queue. Called inside a
 * transaction (outside one it would be released at once).
 */
export async function takeAdvisoryLock(db: Executor, key: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(db);
}

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
  /** PostgreSQL only: told when an idle pooled connection breaks (the server restarted, say). */
  onConnectionError?: (error: Error) => void;
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
    // The pre-images a savepoint keeps (each transaction of a commit group is one, see
    // sqlite-group-commit.ts) stay in memory instead of spilling to a temporary file past
    // 64 KiB: a file costs system calls on every page a member changes. Temporary tables and
    // sorts are in memory too; Portico's queries use indexes, so those stay small.
    sqlite.pragma('temp_store = MEMORY');
    const checkpointer = path === ':memory:' ? null : walCheckpointer(sqlite, resolve(path));
    const connection = withStatementCache(sqlite, checkpointer);
    const dialect = new GroupCommitSqliteDialect(connection, sqlite);
    const db = new Kysely<Database>({ dialect });
    registerGroupCommit(db, dialect.driver);
    return {
      db,
      dialect: 'sqlite',
      close: async () => {
        await checkpointer?.stop();
        await db.destroy();
      },
    };
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
    // An idle client whose connection breaks (a PostgreSQL restart, a killed backend) makes the
    // pool emit 'error'; without a listener that would end the process. The pool drops that
    // client and the next query connects afresh; queries in flight fail on their own.
    pool.on('error', (error) => options.onConnectionError?.(error));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', close: () => db.destroy() };
  }
  throw new Error(`unsupported DATABASE_URL: ${url.split(':')[0]}`);
}

/**
 * WAL checkpoints mostly off the event loop. SQLite's automatic checkpoint runs inside the
 * commit that crosses 1,000 WAL pages, and with `synchronous = NORMAL` a checkpoint fsyncs the
 * WAL and the database file: that commit then blocks the event loop for 5–30 ms, far more on a
 * busy disk (in the TOTP second-step bench, 70–90 % of all commit time, and its p99). Here a
 * worker thread with its own connection runs PASSIVE checkpoints every 100 ms (they never
 * block this connection's readers or writers): it copies the pages and pays the fsyncs. Under
 * sustained writes the WAL is never fully copied at the instant a write begins, so SQLite
 * cannot rewind it; the automatic checkpoint, raised to 10,000 pages (~40 MB of WAL), still
 * does that, but finds the pages already copied and synced. Durability is unchanged: commits
 * are exactly as durable as before. The worker starts after the first 50 commits (an idle
 * server never starts it).
 */
const WAL_AUTOCHECKPOINT_PAGES = 10_000;
const CHECKPOINT_WORKER = `
const { workerData } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.path);
db.pragma('busy_timeout = 5000');
const tick = () => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
  setTimeout(tick, workerData.everyMs);
};
tick();
`;

interface Checkpointer {
  /** Called for each commit; starts the worker after the first few. */
  committed(): void;
  stop(): Promise<void>;
}

function walCheckpointer(sqlite: SQLite.Database, path: string): Checkpointer {
  sqlite.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  let worker: Worker | null = null;
  let commits = 0;
  let stopped = false;
  return {
    committed() {
      if (worker || stopped || ++commits < 50) return;
      worker = new Worker(CHECKPOINT_WORKER, { eval: true, workerData: { path, driver: createRequire(import.meta.url).resolve('better-sqlite3'), everyMs: 100 } });
      worker.unref();
      // Should the worker fail, the automatic checkpoint still bounds the WAL.
      worker.on('error', () => {});
    },
    async stop() {
      stopped = true;
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}

/**
 * Kysely prepares every query afresh, and preparing costs better-sqlite3 more than running a
 * small query does (a password sign-in runs about fifteen). The SQL text of Kysely's queries
 * takes its values as parameters, so a few hundred distinct statements cover the whole
 * application; keep them prepared. Statements are only ever used synchronously one at a time
 * on this single connection, so sharing them is safe.
 */
function withStatementCache(sqlite: SQLite.Database, checkpointer: Checkpointer | null, max = 500): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  return new Proxy(sqlite, {
    get(target, prop) {
      if (prop === 'prepare') {
        return (source: string) => {
          if (checkpointer && source === 'commit') checkpointer.committed();
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

