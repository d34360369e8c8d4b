import { hmacHex } from '../crypto/hash.js';
import type { AuditEventsTable } from '../db/types.js';

export const GENESIS_HASH = '0'.repeat(64);

/**
 * The HMAC that links an entry to the one before it. Every column but `hash` is covered, in a
 * fixed order, so editing any of them (or the order of entries) breaks the chain from there on.
 */
export function chainHash(key: Buffer, e: Omit<AuditEventsTable, 'hash'>): string {
  const canonical = JSON.stringify([
    e.seq,
    e.id,
    e.at,
    e.actor_type,
    e.actor_id,
    e.contact_id,
    e.staff_id,
    e.action,
    e.reason,
    e.verification,
    e.ip,
    e.user_agent,
    e.details,
  ]);
  return hmacHex(key, `${e.prev_hash}\n${canonical}`);
}
