import { z } from 'zod';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../crypto/password.js';
import { AppError } from './errors.js';
import { PLAIN_EMAIL_ADDRESS } from '../accounts/mailbox.js';

/** Shared request shapes; the same schemas validate requests and describe them in OpenAPI. */
export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .regex(PLAIN_EMAIL_ADDRESS, 'must be a plain email address (name@example.com)');

/** 8 to 128 characters, counted as characters (code points), not bytes. */
export const passwordSchema = z
  .string()
  .refine((s) => [...s].length >= PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .refine((s) => [...s].length <= PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);

export const nameSchema = z.string().trim().min(1).max(200);
export const tokenSchema = z.string().min(1).max(256);
export const reasonSchema = z.string().trim().min(1).max(1000);

/**
 * An instant in ISO-8601 UTC as API.md has them: a date (`2026-03-01`, midnight UTC) or a date
 * and time with its zone (`2026-03-01T09:30:00Z`, `…+02:00`), a real calendar day, years 0000
 * to 9999. Not whatever `Date.parse` takes: it reads "1" or "March 7" as dates, rolls
 * 2024-02-31 over into March, and an extended year (`+010000-…`) sorts below 2026 as text,
 * turning a "since" or "enrolled before" filter upside down.
 */
export const isoInstantSchema = z
  .string()
  .max(40)
  .refine(isISOInstant, 'must be an ISO-8601 UTC date or time, such as 2026-03-01 or 2026-03-01T09:30:00Z');

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2})))?$/;

export function isISOInstant(s: string): boolean {
  const m = ISO_INSTANT.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  date.setUTCFullYear(year);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return false;
  const [hour, minute, second, zoneHour, zoneMinute] = [m[4], m[5], m[6], m[7], m[8]].map((v) => Number(v ?? 0));
  if (hour > 23 || minute > 59 || second > 59 || zoneHour > 23 || zoneMinute > 59) return false;
  // The instant in UTC too: 9999-12-31T23:00-05:00 is in the year 10000 there, and its ISO text
  // (+010000-…) sorts below every other.
  const utc = new Date(Date.parse(s)).getUTCFullYear();
  return utc >= 0 && utc <= 9999;
}

export const listQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(100).optional(),
};

/**
 * The cursor of a list keyset-paged on an insertion sequence (contacts, tickets, audit events,
 * staff): the `seq` of the last item of the page before, in decimal, as `nextCursor` hands it
 * out. Undefined for the first page; anything else is 400 `invalid_input`, never a query.
 */
export function seqCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const seq = /^\d{1,15}$/.test(cursor) ? Number(cursor) : NaN;
  if (!Number.isSafeInteger(seq)) throw new AppError('invalid_input', 'cursor is not valid');
  return seq;
}

/**
 * The cursor of a list keyset-paged on time-sortable ids (`generateID`: prefix, 12 hex digits
 * of milliseconds, 16 base32), for tables without a sequence: the id of the last item of the
 * page before. Undefined for the first page; anything else is 400 `invalid_input`.
 */
export function idCursor(prefix: string, cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  if (!new RegExp(`^${prefix}_[0-9a-f]{12}[0-9a-z]{16}$`).test(cursor)) throw new AppError('invalid_input', 'cursor is not valid');
  return cursor;
}

export const idParam = (prefix: string) =>
  z.object({ id: z.string().max(100) }).transform((p) => ({ ...p, valid: p.id.startsWith(`${prefix}_`) }));
