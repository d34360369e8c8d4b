import { randomFillSync, randomInt } from 'node:crypto';

/**
 * Random bytes from the operating system's CSPRNG, drawn 4 KiB at a time. Each call to
 * randomFillSync costs several microseconds whatever its size, and a sign-in draws a session
 * token and an audit id: taking them from a pool (each byte handed out once, then the pool is
 * refilled) makes that about a microsecond. Same source, same entropy; nothing is reused.
 */
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

export function secureRandomBytes(n: number): Buffer {
  if (n > POOL_SIZE / 4) return randomFillSync(Buffer.alloc(n));
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + n));
  // Wipe what was handed out, so the pool never holds a copy of a token already in use.
  pool.fill(0, offset, offset + n);
  offset += n;
  return out;
}

/** A URL-safe random token carrying `bytes` bytes of entropy (default 32 = 256 bits). */
export function generateToken(bytes = 32): string {
  return secureRandomBytes(bytes).toString('base64url');
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
  const bytes = secureRandomBytes(length);
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
