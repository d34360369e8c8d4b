import { sql } from 'kysely';
import { MINUTE } from '../clock.js';
import type { Context } from '../context.js';
import type { Executor } from '../db/index.js';
import { hashToken } from '../crypto/hash.js';
import { AppError } from '../http/errors.js';
import type { AccountKind } from './store.js';

/**
 * Per-account back-off on password guesses. It is keyed by the email (hashed), not the
 * account row, so that unknown emails back off exactly like known ones and the answer never
 * tells whether an account exists. After FREE_FAILURES consecutive failures each further try
 * must wait twice as long as the one before, up to 15 minutes. Counted in its own statement,
 * outside any sign-in transaction, so a rolled-back sign-in never rolls back the count.
 */
const FREE_FAILURES = 5;
const MAX_WAIT = 15 * MINUTE;

function keyFor(kind: AccountKind, email: string): string {
  return `login-fail:${kind}:${hashToken(email)}`;
}

export function waitAfter(failures: number): number {
  if (failures < FREE_FAILURES) return 0;
  return Math.min(1000 * 2 ** (failures - FREE_FAILURES), MAX_WAIT);
}

/** Counts from which every further try waits the longest (waitAfter caps there). */
const CAPPED_FROM = FREE_FAILURES + Math.ceil(Math.log2(MAX_WAIT / 1000));

/**
 * Takes one password try for this email, or throws 429 while it must wait. The try is counted
 * as a failure before the password is checked, by one conditional write whose row count
 * decides: a right password then clears the count (clearLoginFailures), a wrong one leaves it.
 * Counting after the check let parallel guesses all read the same count and all be checked
 * (20 at once were 20 guesses where one after the other allows 5, then one a second); now at
 * most the free tries, then one per wait, get their password checked, however they interleave.
 * Returns the failures counted before this try.
 */
export async function takePasswordTry(ctx: Context, kind: AccountKind, email: string): Promise<number> {
  const key = keyFor(kind, email);
  const now = ctx.clock.now().getTime();
  const nowISO = new Date(now).toISOString();
  // The latest window start each count allows a try at now: waitAfter(count) ago.
  const cutoffs = [];
  for (let count = FREE_FAILURES; count < CAPPED_FROM; count++) cutoffs.push(sql`WHEN ${count} THEN ${new Date(now - waitAfter(count)).toISOString()}`);
  const taken = await sql<{ count: number }>`
    INSERT INTO rate_limits (key, window_start, count) VALUES (${key}, ${nowISO}, 1)
    ON CONFLICT (key) DO UPDATE SET count = rate_limits.count + 1, window_start = ${nowISO}
    WHERE rate_limits.count < ${FREE_FAILURES}
       OR rate_limits.window_start <= CASE rate_limits.count ${sql.join(cutoffs, sql` `)} ELSE ${new Date(now - MAX_WAIT).toISOString()} END
    RETURNING count`.execute(ctx.db);
  if (taken.rows.length === 1) return Number(taken.rows[0]!.count) - 1;
  const row = await ctx.db.selectFrom('rate_limits').select(['count', 'window_start']).where('key', '=', key).executeTakeFirst();
  // Cleared by a right password in between: one more round of the same rule.
  if (!row) return takePasswordTry(ctx, kind, email);
  const readyAt = new Date(row.window_start).getTime() + waitAfter(Number(row.count));
  const retryAfter = Math.max(1, Math.ceil((readyAt - now) / 1000));
  throw new AppError('rate_limited', `Too many wrong passwords; try again in ${retryAfter} seconds`, { retryAfter });
}

/** Forgets the failures (a right password): in the caller's transaction when it passes one. */
export async function clearLoginFailures(ctx: Context, kind: AccountKind, email: string, db: Executor = ctx.db): Promise<void> {
  await db.deleteFrom('rate_limits').where('key', '=', keyFor(kind, email)).execute();
}
