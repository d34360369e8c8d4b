import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Context } from '../../src/context.js';

type Event = 'INSERT' | 'UPDATE' | 'DELETE';

/**
 * A real failure from the database, for tests of what Portico does when a write fails (a
 * constraint, a corrupt row, a full disk would fail the same way): a trigger makes every `on`
 * write to `table` whose row has `column` = `value` fail with `message`, on SQLite and on
 * PostgreSQL alike. Inserts and updates are matched on the new row, deletes on the old one.
 * Resolves to the function that lifts the refusal.
 */
export async function refuseWrites(
  ctx: Pick<Context, 'db' | 'dialect'>,
  target: { table: string; on: Event[]; column: string; value: string; message: string },
): Promise<() => Promise<void>> {
  const { table, on, column, value, message } = target;
  for (const name of [table, column]) if (!/^[a-z_]+$/.test(name)) throw new Error(`refuseWrites: not an identifier: ${name}`);
  const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;
  const name = `refuse_${table}_${randomBytes(4).toString('hex')}`;
  const row = (event: Event) => (event === 'DELETE' ? 'old' : 'new');
  if (ctx.dialect === 'sqlite') {
    for (const event of on) {
      await sql.raw(`CREATE TRIGGER ${name}_${event.toLowerCase()} BEFORE ${event} ON ${table} WHEN ${row(event)}.${column} = ${literal(value)} BEGIN SELECT RAISE(ABORT, ${literal(message)}); END`).execute(ctx.db);
    }
    return async () => {
      for (const event of on) await sql.raw(`DROP TRIGGER ${name}_${event.toLowerCase()}`).execute(ctx.db);
    };
  }
  await sql.raw(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '%', ${literal(message)}; END $$`).execute(ctx.db);
  for (const event of on) {
    await sql.raw(`CREATE TRIGGER ${name}_${event.toLowerCase()} BEFORE ${event} ON ${table} FOR EACH ROW WHEN (${row(event)}.${column} = ${literal(value)}) EXECUTE FUNCTION ${name}()`).execute(ctx.db);
  }
  return async () => {
    for (const event of on) await sql.raw(`DROP TRIGGER ${name}_${event.toLowerCase()} ON ${table}`).execute(ctx.db);
    await sql.raw(`DROP FUNCTION ${name}()`).execute(ctx.db);
  };
}
