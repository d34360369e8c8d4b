import { generateBase32, normalizeBase32 } from '../crypto/random.js';
import { hashPassword, verifyPassword } from '../crypto/password.js';

/**
 * Recovery codes: 10 codes of 12 Crockford base32 characters (60 random bits), shown as
 * XXXX-XXXX-XXXX and stored only as argon2id hashes (PRODUCT.md §3 allows argon2id below 112
 * bits). Typing is forgiving: case, dashes and spaces are ignored, I/L read as 1 and O as 0.
 */
export const RECOVERY_CODE_COUNT = 10;
const LENGTH = 12;

export function generateRecoveryCode(): string {
  const raw = generateBase32(LENGTH);
  return `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8)}`;
}

export function normalizeRecoveryCode(input: string): string | null {
  const n = normalizeBase32(input);
  return /^[0-9A-HJKMNP-TV-Z]{12}$/.test(n) ? n : null;
}

export async function hashRecoveryCode(code: string): Promise<string> {
  return hashPassword(normalizeRecoveryCode(code)!);
}

/** The index of the stored hash that the typed code matches, or -1. Checks all, in parallel. */
export async function matchRecoveryCode(typed: string, hashes: string[]): Promise<number> {
  const n = normalizeRecoveryCode(typed);
  if (!n) return -1;
  const results = await Promise.all(hashes.map((h) => verifyPassword(h, n)));
  return results.indexOf(true);
}
