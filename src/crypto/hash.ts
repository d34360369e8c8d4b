import * as crypto from 'node:crypto';
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * crypto.hash (Node 20.12 and later) hashes in one call, without a Hash object: about 0.3 µs
 * against 0.7 µs for a token, and a request hashes several (its cookie for the session and the
 * CSRF check, a new session's token). Older Node takes createHash.
 */
const hashOnce = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** SHA-256 of a high-entropy token, hex. Used to store tokens, codes and session ids. */
export function hashToken(token: string): string {
  return hashOnce ? hashOnce('sha256', token, 'hex') : createHash('sha256').update(token, 'utf8').digest('hex');
}

export function hmacHex(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data, 'utf8').digest('hex');
}

/** Compares two strings in time that depends only on their length. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ba.length !== bb.length) {
    // Compare anyway so the work done does not reveal where the mismatch is.
    timingSafeEqual(ba, ba);
    return false;
  }
  return timingSafeEqual(ba, bb);
}

/** A sub-key of the master key for one purpose, so that no two uses share a key. */
export function deriveKey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `portico:${purpose}`, 32));
}
