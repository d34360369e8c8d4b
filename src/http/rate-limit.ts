import { sql } from 'kysely';
import type { Context } from '../context.js';
import type { Executor } from '../db/index.js';
import { isIPv4, isIPv6 } from 'node:net';
import { AppError } from './errors.js';

/**
 * The client a per-IP limit counts: an IPv4 address, or an IPv6 address's /64 network. One
 * IPv6 subscriber, server or cloud instance is routinely given a whole /64 (2^64 addresses), so
 * counting single IPv6 addresses let a client start afresh with every request. An IPv4 address
 * written in IPv6 form (`::ffff:203.0.113.7`) is that IPv4 address.
 */
export function clientKey(ip: string): string {
  const address = ip.replace(/%.*$/, '');
  if (isIPv4(address) || !isIPv6(address)) return address;
  const groups = ipv6Groups(address);
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.${groups[7]! & 0xff}`;
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` and a dotted IPv4 tail expanded). */
function ipv6Groups(address: string): number[] {
  const toGroups = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((g) => {
          if (!g.includes('.')) return [parseInt(g, 16)];
          const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head, tail] = address.split('::') as [string, string | undefined];
  const first = toGroups(head);
  if (tail === undefined) return first;
  const last = toGroups(tail);
  return [...first, ...new Array<number>(8 - first.length - last.length).fill(0), ...last];
}

/**
 * Fixed-window counters kept in the database, so that limits hold across several Portico
 * instances on one PostgreSQL. One upsert both counts and decides, so concurrent requests
 * cannot slip past the limit together.
 */
export async function countHit(ctx: Context, key: string, windowMs: number, db: Executor = ctx.db): Promise<{ count: number; windowStart: string }> {
  const now = ctx.clock.now();
  const nowISO = now.toISOString();
  const windowEdge = new Date(now.getTime() - windowMs).toISOString();
  const r = await sql<{ count: number; window_start: string }>`
    INSERT INTO rate_limits (key, window_start, count) VALUES (${key}, ${nowISO}, 1)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN rate_limits.window_start <= ${windowEdge} THEN 1 ELSE rate_limits.count + 1 END,
      window_start = CASE WHEN rate_limits.window_start <= ${windowEdge} THEN ${nowISO} ELSE rate_limits.window_start END
    RETURNING count, window_start`.execute(db);
  const row = r.rows[0];
  return { count: Number(row.count), windowStart: row.window_start };
}

/** Counts one hit for `key` and throws 429 `rate_limited` once `limit` is passed in the window. */
export async function enforceRateLimit(ctx: Context, key: string, limit: number, windowMs: number): Promise<void> {
  const { count, windowStart } = await countHit(ctx, key, windowMs);
  if (count > limit) {
    const retryAfter = Math.max(1, Math.ceil((new Date(windowStart).getTime() + windowMs - ctx.clock.now().getTime()) / 1000));
    throw new AppError('rate_limited', `Too many attempts; try again in ${retryAfter} seconds`, { retryAfter });
  }
}

/**
 * Counts one hit for `key` and tells whether it is still within `limit` in the window. It never
 * throws: for limits that must not show in the answer, such as emails to one address, which
 * would otherwise tell a stranger that the address has an account.
 */
export async function withinRateLimit(ctx: Context, key: string, limit: number, windowMs: number, db: Executor = ctx.db): Promise<boolean> {
  const { count } = await countHit(ctx, key, windowMs, db);
  return count <= limit;
}

export async function clearRateLimit(ctx: Context, key: string): Promise<void> {
  await ctx.db.deleteFrom('rate_limits').where('key', '=', key).execute();
}

export async function purgeRateLimits(ctx: Context, olderThanMs: number): Promise<void> {
  const edge = new Date(ctx.clock.now().getTime() - olderThanMs).toISOString();
  await ctx.db.deleteFrom('rate_limits').where('window_start', '<', edge).execute();
}
