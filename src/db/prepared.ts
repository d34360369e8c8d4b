import type { Statement } from 'better-sqlite3';
import { createQueryId, type CompiledQuery, type Compilable, type QueryResult } from 'kysely';
import type { Executor } from './types.js';
import { groupCommitDriverOf, type GroupCommitDriver } from './sqlite-group-commit.js';

/**
 * A query built and compiled once, then run with new values.
 *
 * Kysely builds an immutable operation tree, then compiles it to SQL, on every call: for the
 * small queries of a sign-in that costs more than running them (a TOTP second step spent about
 * 200 µs of its ~800 µs in Kysely's builders and compiler, against 210 µs in SQLite itself).
 * The hot paths (session lookups, the second step, audit appends) declare their queries with
 * `prepared`: the builder runs once per dialect with placeholder values, and each call only
 * swaps the real values into the compiled parameters. The SQL is exactly what Kysely compiled.
 *
 * Only for queries whose shape never depends on the values (no optional filters, no `in` lists).
 */
export function prepared<P extends object, R>(build: (db: Executor, p: Params<P>) => Compilable<R>): PreparedQuery<P, R> {
  const byAdapter = new WeakMap<object, Compiled<P>>();
  function compiled(db: Executor) {
    const adapter = db.getExecutor().adapter;
    let c = byAdapter.get(adapter);
    if (!c) {
      const markers = new Map<Marker, keyof P>();
      const p = new Proxy({} as Params<P>, {
        get(_, name) {
          const m = new Marker(String(name));
          markers.set(m, name as keyof P);
          return m;
        },
      });
      const q = build(db, p).compile();
      const slots = q.parameters.map((v) => (v instanceof Marker ? markers.get(v)! : { value: v }));
      for (const name of markers.values()) if (!slots.includes(name)) throw new Error(`prepared query: parameter ${String(name)} did not reach the SQL`);
      c = { sql: q.sql, query: q.query, slots, raw: groupCommitDriverOf(db), direct: null };
      byAdapter.set(adapter, c);
    }
    return c;
  }
  async function run(db: Executor, params: P): Promise<QueryResult<R>> {
    const c = compiled(db);
    const parameters = c.slots.map((s) => (typeof s === 'object' && s !== null ? s.value : params[s as keyof P]));
    const raw = c.raw;
    // SQLite, run on the connection directly when that is what Kysely would do: inside this
    // caller's own transaction (which holds the only connection), or when nothing holds the
    // connection (a statement is synchronous, so nothing can interleave with it; it may run
    // inside a group of finished transactions not yet committed, see sqlite-group-commit.ts).
    // Kysely's executor around each statement (its connection mutex, promises and result
    // objects) cost about as much as the small statements of a sign-in themselves. While
    // another request's transaction runs, the statement waits for it through Kysely.
    if (raw && (db.isTransaction || raw.free)) {
      const d = (c.direct ??= directStatement(raw, c.sql));
      if (d.toRow) {
        const arrays = d.stmt.all(parameters) as unknown[][];
        const rows = new Array<R>(arrays.length);
        for (let i = 0; i < arrays.length; i++) rows[i] = d.toRow(arrays[i]!) as R;
        return { rows };
      }
      return { rows: [], numAffectedRows: BigInt(d.stmt.run(parameters).changes) };
    }
    return db.executeQuery<R>({ sql: c.sql, query: c.query, parameters, queryId: createQueryId() });
  }
  return {
    async all(db, params) {
      return (await run(db, params)).rows;
    },
    async first(db, params) {
      return (await run(db, params)).rows[0];
    },
    async affected(db, params) {
      return Number((await run(db, params)).numAffectedRows ?? 0n);
    },
  };
}

interface Compiled<P> {
  sql: string;
  query: CompiledQuery['query'];
  slots: Array<keyof P | { value: unknown }>;
  raw: GroupCommitDriver | undefined;
  direct: Direct | null;
}

/** A prepared query's own SQLite statement, and for one that returns rows, their builder. */
interface Direct {
  stmt: Statement;
  toRow: ((values: unknown[]) => object) | null;
}

/**
 * The statement a prepared query runs directly on SQLite. One that returns rows reads them as
 * arrays (better-sqlite3 would otherwise look up every column's name as the key of every
 * row's object), and a constructor made once for its columns builds the objects, all of one
 * shape. The statement is the query's own, not the one Kysely's cache shares, whose mode
 * must stay as Kysely expects it.
 */
function directStatement(driver: GroupCommitDriver, sql: string): Direct {
  const stmt = driver.direct.prepare(sql);
  if (!stmt.reader) return { stmt, toRow: null };
  stmt.raw(true);
  const names = stmt.columns().map((col) => col.name);
  // The names come from Portico's own SQL (columns and aliases), quoted as JSON string literals.
  const body = `return { ${names.map((name, i) => `${JSON.stringify(name)}: v[${i}]`).join(', ')} };`;
  return { stmt, toRow: new Function('v', body) as (values: unknown[]) => object };
}

export interface PreparedQuery<P, R> {
  all(db: Executor, params: P): Promise<R[]>;
  first(db: Executor, params: P): Promise<R | undefined>;
  /** Rows an insert, update or delete changed. */
  affected(db: Executor, params: P): Promise<number>;
}

/** Placeholders for the builder: `p.idHash` stands for the value passed as `idHash`. */
export type Params<P> = { readonly [K in keyof P]: P[K] };

class Marker {
  constructor(readonly name: string) {}
}
