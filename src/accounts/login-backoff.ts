import { MINUTE } from '../clock.js';
import type { Context } from '../context.js';
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

/** Throws while this email must wait; returns the failures counted so far (0 when none). */
export async function checkLoginBackoff(ctx: Context, kind: AccountKind, email: string): Promise<number> {
  const row = await ctx.db.selectFrom('rate_limits').selectAll().where('key', '=', keyFor(kind, email)).executeTakeFirst();
  if (!row) return 0;
  const wait = waitAfter(row.count);
  const readyAt = new Date(row.window_start).getTime() + wait;
  const now = ctx.clock.now().getTime();
  if (wait > 0 && now < readyAt) {
    const retryAfter = Math.ceil((readyAt - now) / 1000);
    throw new AppError('rate_limited', `Too many wrong passwords; try again in ${retryAfter} seconds`, { retryAfter });
  }
  return row.count;
}

export async function recordLoginFailure(ctx: Context, kind: AccountKind, email: string): Promise<void> {
  const nowISO = ctx.clock.now().toISOString();
  await ctx.db
    .insertInto('rate_limits')
    .values({ key: keyFor(kind, email), window_start: nowISO, count: 1 })
    .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ count: eb('rate_limits.count', '+', 1), window_start: nowISO })))
    .execute();
}

export async function clearLoginFailures(ctx: Context, kind: AccountKind, email: string): Promise<void> {
  await ctx.db.deleteFrom('rate_limits').where('key', '=', keyFor(kind, email)).execute();
}
