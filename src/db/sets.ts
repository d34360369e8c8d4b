import { CompiledQuery, sql, type Expression, type SqlBool } from 'kysely';
import type { Database, Dialect, Executor } from './types.js';

/**
 * Set-based statements for batches (a bulk reset's 500 contacts at a time), written the way
 * each engine plans them best.
 *
 * PostgreSQL parses and plans every bound parameter: a 500-id `IN (…)` list or a 500-row
 * multi-row VALUES with 11 columns (5,500 parameters, and as many nodes for Kysely to build and
 * compile) cost more than the rows they write. There, one array parameter a column does the
 * same: `= ANY($1::text[])` and `INSERT … SELECT * FROM unnest($1::text[], $2::int[], …)`.
 * SQLite has no arrays and binds parameters cheaply, so it keeps `IN` lists and multi-row VALUES.
 */

/** Lets the event loop run (I/O callbacks, other requests) between the statements of a long piece of work. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Rows a housekeeping sweep reads a statement. */
const SWEEP_CHUNK = 1000;

/**
 * Deletes the rows of `table` whose `expires_at` is at or before `now`, walking the table in the
 * order of `key` (on SQLite, the order the rows are stored in) SWEEP_CHUNK rows a statement,
 * with the event loop free between chunks: housekeeping over hundreds of thousands of rows never
 * holds the (SQLite) connection or the event loop for long. Walking by key reads each row once,
 * where repeating `… WHERE expired LIMIT n` would scan the live rows before the expired ones
 * again for every chunk. The key's last column is unique on its own. Returns how many went.
 */
export async function deleteExpiredInKeyOrder(db: Executor, table: 'sessions' | 'remembered_devices', key: readonly [string, string, string], now: string): Promise<number> {
  const cols = sql.join(key.map((c) => sql.ref(c)));
  const unique = key[2];
  let after: string[] | null = null;
  let total = 0;
  for (;;) {
    const rows: Array<Record<string, string>> = (
      await sql<Record<string, string>>`select ${cols}, expires_at from ${sql.table(table)} ${after ? sql`where (${cols}) > (${sql.join(after)})` : sql``} order by ${cols} limit ${SWEEP_CHUNK}`.execute(db)
    ).rows;
    const dead = rows.filter((r) => r.expires_at <= now).map((r) => r[unique]);
    if (dead.length) total += Number((await sql`delete from ${sql.table(table)} where ${sql.ref(unique)} in (${sql.join(dead)})`.execute(db)).numAffectedRows ?? 0);
    const end: Record<string, string> | undefined = rows.at(-1);
    if (rows.length < SWEEP_CHUNK || !end) return total;
    after = key.map((c) => end[c]);
    await yieldToEventLoop();
  }
}

/** `column IN (ids)` on SQLite, `column = ANY($1::text[])` (or `bigint[]`) on PostgreSQL. */
export function inSet(dialect: Dialect, column: string, ids: readonly string[] | readonly number[], type: 'text' | 'bigint' = 'text'): Expression<SqlBool> {
  if (dialect === 'postgres') return sql<SqlBool>`${sql.ref(column)} = any(${[...ids]}::${sql.raw(type)}[])`;
  if (!ids.length) return sql<SqlBool>`1 = 0`;
  return sql<SqlBool>`${sql.ref(column)} in (${sql.join(ids)})`;
}

const PG_ROWS_PER_STATEMENT = 500;

/** PostgreSQL array types of the columns a batch inserts (text unless named). */
export type ColumnTypes = Record<string, 'text' | 'int' | 'bigint'>;

/**
 * Inserts `rows` (all with the same keys, in the same order) into `table`: unnest inserts on
 * PostgreSQL (500 rows a statement), multi-row VALUES in chunks that stay under SQLite's
 * bound-parameter limit.
 */
export async function insertSet<T extends keyof Database & string>(
  db: Executor,
  dialect: Dialect,
  table: T,
  rows: ReadonlyArray<object>,
  types: ColumnTypes = {},
): Promise<void> {
  if (!rows.length) return;
  const columns = Object.keys(rows[0]);
  if (dialect === 'postgres') {
    // node-postgres turns each array into its text form synchronously: 5,000 queued emails
    // (~25 MB of bodies) in one statement held the event loop for ~250 ms. 500 rows a
    // statement keep each under ~30 ms, and the event loop runs between them.
    for (let i = 0; i < rows.length; i += PG_ROWS_PER_STATEMENT) {
      const chunk = rows.slice(i, i + PG_ROWS_PER_STATEMENT);
      const arrays = columns.map((c) => sql`${chunk.map((r) => (r as Record<string, unknown>)[c] ?? null)}::${sql.raw(types[c] ?? 'text')}[]`);
      await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) select * from unnest(${sql.join(arrays)})`.execute(db);
    }
    return;
  }
  // The statement is written here rather than built by Kysely: for a batch's thousands of
  // values, Kysely's parsing and compiling cost more than SQLite's insert (~1 s of a 100,000
  // contact bulk reset). The same row count gives the same text, which stays prepared.
  const perChunk = Math.max(1, Math.floor(30_000 / columns.length));
  const head = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += perChunk) {
    const chunk = rows.slice(i, i + perChunk) as ReadonlyArray<Record<string, unknown>>;
    const values = chunk.flatMap((r) => columns.map((c) => r[c] ?? null));
    await db.executeQuery(CompiledQuery.raw(head + new Array(chunk.length).fill(tuple).join(', '), values));
  }
}
