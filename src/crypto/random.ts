import { randomBytes, randomInt } from 'node:crypto';

/** A URL-safe random token carrying `bytes` bytes of entropy (default 32 = 256 bits). */
export function generateToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** `digits` decimal digits drawn uniformly (for emailed 6-digit codes). */
export function generateDigits(digits: number): string {
  let out = '';
  for (let i = 0; i < digits; i++) out += String(randomInt(10));
  return out;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** `length` characters of Crockford base32 (5 bits each), easy to read aloud and type. */
export function generateBase32(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += CROCKFORD[bytes[i] & 31];
  return out;
}

/** Normalises typed base32 codes: case, spaces and dashes ignored, I/L read as 1, O as 0. */
export function normalizeBase32(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
}

/**
 * A prefixed, time-sortable id such as `ct_0193ab4f2c1d7q9w3e5r7t9y1u`: 12 hex digits of
 * milliseconds, then 80 random bits. Lexical order is creation order (to the millisecond).
 */
export function generateID(prefix: string, now: Date = new Date()): string {
  const ms = now.getTime().toString(16).padStart(12, '0');
  return `${prefix}_${ms}${generateBase32(16).toLowerCase()}`;
}
