import { SqliteDialect, type CompiledQuery, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';
import type SQLite from 'better-sqlite3';
import type { Executor } from './types.js';

/**
 * Group commit for the one SQLite connection.
 *
 * A COMMIT is the dearest statement of a small request: it writes every page the transaction
 * changed to the WAL, two system calls a page, and the pages an append touches (the audit
 * log's last page, the tails of its indexes, the audit head) are the same for every request.
 * So the transactions that run in one turn of the event loop share one SQLite transaction:
 * the first opens it (BEGIN IMMEDIATE) and runs in it, each later one runs in it as a
 * savepoint, one after the other on the one connection as before, and at the end of the turn
 * (setImmediate, once no transaction is running) one COMMIT makes them durable together.
 *
 * - **Nothing is answered before it is committed.** A transaction's `commit` resolves only
 *   after the COMMIT, so its caller goes on only then. A statement outside any transaction
 *   runs inside the open group (it may read what a finished transaction wrote), so whatever
 *   leaves the process waits for `untilCommitted`: every HTTP answer (src/app.ts) and every
 *   email (src/notify/mailer.ts). If the COMMIT fails, every transaction of the group fails
 *   as its own COMMIT would have, and the waiting answers become errors.
 * - **Isolation is unchanged.** One transaction at a time runs on the connection, seeing the
 *   writes of those before it, which commit with it or not at all. A later transaction that
 *   rolls back rolls back to its savepoint and leaves the others alone (the first, rolling
 *   back, ends the group, which holds nothing else yet): a wrong code's failure count
 *   survives a sign-in that rolls back, as before.
 * - **Other processes** (the CLI, the checkpoint worker) see only committed data, and wait for
 *   the group's write lock at most one turn of the event loop longer than for one transaction.
 */
export class GroupCommitSqliteDialect extends SqliteDialect {
  readonly driver: GroupCommitDriver;
  /** `direct`: the connection itself, which `database` wraps (statement cache): see GroupCommitDriver. */
  constructor(database: SQLite.Database, direct: SQLite.Database) {
    super({ database });
    this.driver = new GroupCommitDriver(database, direct);
  }
  override createDriver(): Driver {
    return this.driver;
  }
}

const drivers = new WeakMap<object, GroupCommitDriver>();

/**
 * Lets untilCommitted and prepared queries find this Kysely instance's driver (openDatabase
 * registers it; transactions share their instance's adapter).
 */
export function registerGroupCommit(db: Executor, driver: GroupCommitDriver): void {
  drivers.set(db.getExecutor().adapter, driver);
}

/** The group-commit driver behind a SQLite Kysely instance, or undefined (PostgreSQL). */
export function groupCommitDriverOf(db: Executor): GroupCommitDriver | undefined {
  return drivers.get(db.getExecutor().adapter);
}

/**
 * Resolves once every statement this process has run on `db` so far is committed; null when
 * it already is (always on PostgreSQL, where each transaction commits on its own). Rejects
 * when the group it waits for could not commit.
 */
export function untilCommitted(db: Executor): Promise<void> | null {
  return groupCommitDriverOf(db)?.untilCommitted() ?? null;
}

const lostGroup = () => new Error('the database rolled back the transaction before it could commit');

interface Group {
  promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function newGroup(): Group {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Nobody may be waiting for a group (all its transactions rolled back to their savepoints).
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** One use of the connection, from acquire to release. */
class Lease implements DatabaseConnection {
  /** Inside its own transaction. */
  inTransaction = false;
  /** That transaction is a savepoint inside the group (false: it opened the group). */
  savepoint = false;
  /** Given back already (a transaction's commit gives the connection on before the COMMIT). */
  released = false;
  constructor(private readonly driver: GroupCommitDriver) {}
  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    return this.driver.run<R>(compiledQuery);
  }
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streamed queries are not used with SQLite here');
  }
}

export class GroupCommitDriver implements Driver {
  #locked = false;
  readonly #waiting: Array<() => void> = [];
  /** The open SQLite transaction, if any, and the promise of its COMMIT. */
  #group: Group | null = null;
  /** The end of the turn came while a transaction was running: commit when it gives the connection back. */
  #commitOnRelease = false;

  /**
   * `db`: the one connection, as Kysely's statements use it (through the statement cache).
   * `direct`: the same connection unwrapped, for prepared queries, which keep statements of
   * their own (they run them on it directly while it is free: src/db/prepared.ts).
   */
  constructor(
    private readonly db: SQLite.Database,
    readonly direct: SQLite.Database,
  ) {}

  /** No transaction or statement holds the connection (a statement may run on it directly). */
  get free(): boolean {
    return !this.#locked;
  }

  untilCommitted(): Promise<void> | null {
    this.#noticeLostGroup();
    return this.#group?.promise ?? null;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#locked) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#locked = true;
    return new Lease(this);
  }

  run<R>(compiledQuery: CompiledQuery): QueryResult<R> {
    const stmt = this.db.prepare(compiledQuery.sql);
    const parameters = compiledQuery.parameters as unknown[];
    if (stmt.reader) return { rows: stmt.all(parameters) as R[] };
    const { changes, lastInsertRowid } = stmt.run(parameters);
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    this.#noticeLostGroup();
    const lease = connection as Lease;
    if (!this.#group) {
      // The first transaction of a group has nobody to spare when it rolls back: it runs as
      // the SQLite transaction itself. A savepoint would make SQLite copy every page it
      // changes (a bulk batch changes thousands).
      this.db.prepare('begin immediate').run();
      const group = (this.#group = newGroup());
      setImmediate(() => this.#endOfTurn(group));
      lease.savepoint = false;
    } else {
      this.db.prepare('savepoint portico_transaction').run();
      lease.savepoint = true;
    }
    lease.inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    if (lease.savepoint) this.db.prepare('release portico_transaction').run();
    lease.inTransaction = false;
    const committed = this.#group?.promise ?? Promise.reject(lostGroup());
    this.#release(lease);
    return committed;
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    lease.inTransaction = false;
    // Some errors (a full disk, an I/O error) make SQLite roll the whole transaction back.
    if (!this.db.inTransaction) return;
    if (lease.savepoint) {
      this.db.prepare('rollback to portico_transaction').run();
      this.db.prepare('release portico_transaction').run();
      return;
    }
    // The group's first transaction: nothing else has run in the group yet, so the group ends.
    this.db.prepare('rollback').run();
    const group = this.#group;
    this.#group = null;
    group?.resolve();
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    this.#release(connection as Lease);
  }

  async destroy(): Promise<void> {
    if (!this.#locked) this.#commitGroup();
    this.db.close();
  }

  #release(lease: Lease): void {
    if (lease.released) return;
    lease.released = true;
    if (this.#commitOnRelease) {
      this.#commitOnRelease = false;
      this.#commitGroup();
    }
    const next = this.#waiting.shift();
    if (next) next();
    else this.#locked = false;
  }

  #endOfTurn(group: Group): void {
    if (this.#group !== group) return;
    if (this.#locked) this.#commitOnRelease = true;
    else this.#commitGroup();
  }

  #commitGroup(): void {
    this.#noticeLostGroup();
    const group = this.#group;
    if (!group) return;
    this.#group = null;
    try {
      this.db.prepare('commit').run();
    } catch (error) {
      if (this.db.inTransaction) this.db.prepare('rollback').run();
      group.reject(error);
      return;
    }
    group.resolve();
  }

  /** SQLite rolled the open transaction back by itself: its transactions failed. */
  #noticeLostGroup(): void {
    if (!this.#group || this.db.inTransaction) return;
    const group = this.#group;
    this.#group = null;
    group.reject(lostGroup());
  }
}
