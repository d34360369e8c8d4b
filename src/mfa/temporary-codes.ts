import type { Context, RequestMeta } from '../context.js';
import { appendAuditEvent } from '../audit/service.js';
import { templates } from '../notify/templates.js';
import type { Executor } from '../db/index.js';
import { generateBase32, generateID, normalizeBase32 } from '../crypto/random.js';
import { deriveKey, hmacHex } from '../crypto/hash.js';
import type { Account } from '../accounts/store.js';
import * as store from './store.js';
import type { Owner } from './store.js';

/**
 * Temporary access codes (PRODUCT.md §4.4): 15 Crockford base32 characters (75 random bits),
 * read aloud as XXXXX-XXXXX-XXXXX, stored only as a keyed hash. At sign-in a code stands in for
 * the second step once and opens an enrollment-only session; the factors that existed when it
 * was issued are removed when the person enrolls a new one in that session.
 */
const LENGTH = 15;

function hashCode(ctx: Context, normalized: string): string {
  return hmacHex(deriveKey(ctx.config.secretKey, 'temporary-code'), normalized);
}

export function formatTemporaryCode(raw: string): string {
  return `${raw.slice(0, 5)}-${raw.slice(5, 10)}-${raw.slice(10)}`;
}

/** Issues a code, voiding any earlier one; returns the code (shown once) and its expiry. */
export async function issueTemporaryCode(ctx: Context, trx: Executor, owner: Owner, issuedBy: string | null, ttlMinutes: number, validFrom: string | null = null): Promise<{ code: string; expiresAt: string }> {
  await voidTemporaryCodes(ctx, trx, owner);
  const raw = generateBase32(LENGTH);
  const now = ctx.clock.now();
  const expiresAt = new Date((validFrom ? new Date(validFrom).getTime() : now.getTime()) + ttlMinutes * 60_000).toISOString();
  const factors = await store.listFactors(trx, owner);
  await trx
    .insertInto('temporary_codes')
    .values({
      id: generateID('tc', now),
      owner_kind: owner.kind,
      owner_id: owner.id,
      code_hash: hashCode(ctx, raw),
      retire_factor_ids: JSON.stringify(factors.map((f) => f.id)),
      issued_by: issuedBy,
      created_at: now.toISOString(),
      expires_at: expiresAt,
      used_at: null,
      voided_at: null,
      valid_from: validFrom,
    })
    .execute();
  return { code: formatTemporaryCode(raw), expiresAt };
}

/** Voids every outstanding code of a person (a new code, a reset, an enrollment); returns how many. */
export async function voidTemporaryCodes(ctx: Context, db: Executor, owner: Owner): Promise<number> {
  const r = await db
    .updateTable('temporary_codes')
    .set({ voided_at: ctx.clock.now().toISOString() })
    .where('owner_kind', '=', owner.kind)
    .where('owner_id', '=', owner.id)
    .where('used_at', 'is', null)
    .where('voided_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function hasOutstandingTemporaryCode(ctx: Context, account: Account, db: Executor = ctx.db): Promise<boolean> {
  return (await usableCodes(db, account, ctx.clock.now().toISOString()).select('id').executeTakeFirst()) !== undefined;
}

/**
 * The usable code a person typed, if any: found by its keyed hash (a read, no write). A wrong
 * code costs no transaction; a right one is then taken by takeTemporaryCode.
 */
export async function findUsableTemporaryCode(ctx: Context, account: Account, typed: string): Promise<string | null> {
  const normalized = normalizeBase32(typed);
  if (!/^[0-9A-HJKMNP-TV-Z]{15}$/.test(normalized)) return null;
  const nowISO = ctx.clock.now().toISOString();
  const row = await usableCodes(ctx.db, account, nowISO).select('id').where('code_hash', '=', hashCode(ctx, normalized)).executeTakeFirst();
  return row?.id ?? null;
}

function usableCodes(db: Executor, account: Account, nowISO: string) {
  return (
    db
      .selectFrom('temporary_codes')
      .where('owner_kind', '=', account.kind)
      .where('owner_id', '=', account.id)
      .where('used_at', 'is', null)
      .where('voided_at', 'is', null)
      .where('expires_at', '>', nowISO)
      // A code held back by the waiting period does not work before its time.
      .where((eb) => eb.or([eb('valid_from', 'is', null), eb('valid_from', '<=', nowISO)]))
  );
}

/**
 * Uses a code up, in the transaction of the sign-in it lets through: one conditional UPDATE
 * whose row count decides (racing sign-ins with one code: one wins, the others' transactions
 * roll back). The code records the enrollment-only session it opened (`sessionHash`): only an
 * enrollment in that session retires the factors that existed when the code was issued
 * (PRODUCT.md §4.4), so a sign-in that stops here leaves nothing behind that a later
 * enrollment, the owner's own in an ordinary session, could act on. That session's end (sign
 * out, expiry, a staff sign-out everywhere) ends the list's reach with it.
 *
 * Only the write: the caller tells of it (announceTemporaryCodeUse) once its other rows are
 * written. On PostgreSQL the code's row comes before the audit chain's head, as in every
 * transaction that voids a code (a newer code, the owner's cancel of a recovery request or of
 * a scheduled code, the issuer's deactivation, a token's revocation: each voids the code's row,
 * then appends); taken after the head, a sign-in and a void deadlocked, and one was answered
 * 409.
 */
export async function takeTemporaryCode(ctx: Context, trx: Executor, account: Account, codeID: string, sessionHash: string): Promise<boolean> {
  const nowISO = ctx.clock.now().toISOString();
  const r = await trx
    .updateTable('temporary_codes')
    .set({ used_at: nowISO, session_hash: sessionHash })
    .where('id', '=', codeID)
    .where('owner_kind', '=', account.kind)
    .where('owner_id', '=', account.id)
    .where('used_at', 'is', null)
    .where('voided_at', 'is', null)
    .where('expires_at', '>', nowISO)
    .where((eb) => eb.or([eb('valid_from', 'is', null), eb('valid_from', '<=', nowISO)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** The audit entry and the owner's email of a code taken by takeTemporaryCode, in the same transaction. */
export async function announceTemporaryCodeUse(ctx: Context, trx: Executor, account: Account, meta: RequestMeta): Promise<void> {
  await appendAuditEvent(ctx, trx, {
    actor: { type: account.kind, id: account.id },
    action: 'mfa.temporary_code.used',
    ...(account.kind === 'contact' ? { contactID: account.id } : { staffID: account.id }),
    meta,
  });
  await ctx.mailer.enqueue(
    trx,
    templates.securityNoticeFor(account.kind)(
      account.email,
      'A temporary access code was used on your account',
      ['The temporary access code from our support team was used to sign in to your account and set up a new sign-in method. Your earlier methods will be removed once the new one is set up.'],
      { at: ctx.clock.now(), ...meta },
    ),
  );
}

/**
 * The code a scheduled temporary-code action issued with it: held back until the waiting period
 * ends (`valid_from`) and known by its owner and expiry, both recorded with the action.
 */
export async function findHeldCode(db: Executor, owner: Owner, expiresAt: string) {
  return db
    .selectFrom('temporary_codes')
    .select(['id', 'used_at', 'voided_at', 'expires_at', 'session_hash'])
    .where('owner_kind', '=', owner.kind)
    .where('owner_id', '=', owner.id)
    .where('valid_from', 'is not', null)
    .where('expires_at', '=', expiresAt)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
}

/**
 * Takes back a held code when its scheduled action is cancelled. The code works from the end of
 * the waiting period whether or not the runner has marked the action done yet, so a cancel in
 * between may find it used already. Then the enrollment-only session it opened is ended, so that
 * sign-in cannot add a factor and retire the owner's: one conditional delete, racing the
 * enrollment's own move of that session to a new id (one wins; the loser's row count says so).
 * - `voided`: the code was unused and is void now;
 * - `sign-in ended`: it had been used, and the sign-in it opened is ended before it enrolled;
 * - `spent`: it had been used, and that sign-in ended without enrolling (signed out, expired):
 *   nothing is left to take back;
 * - `happened`: it had been used and its sign-in enrolled (which clears the code's
 *   session_hash, codeSessionEnrolled): too late;
 * - `none`: no live code (voided before, or none found).
 */
export async function takeBackHeldCode(ctx: Context, trx: Executor, owner: Owner, expiresAt: string): Promise<'voided' | 'sign-in ended' | 'spent' | 'happened' | 'none'> {
  let code = await findHeldCode(trx, owner, expiresAt);
  if (!code || code.voided_at) return 'none';
  if (!code.used_at) {
    const r = await trx.updateTable('temporary_codes').set({ voided_at: ctx.clock.now().toISOString() }).where('id', '=', code.id).where('used_at', 'is', null).where('voided_at', 'is', null).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) return 'voided';
    // Taken by a sign-in at this instant: read what it left.
    code = await findHeldCode(trx, owner, expiresAt);
    if (!code?.used_at) return 'none';
  }
  if (!code.session_hash) return 'happened';
  const ended = await trx.deleteFrom('sessions').where('id_hash', '=', code.session_hash).where('level', '=', 'enrollment').executeTakeFirst();
  if (Number(ended.numDeletedRows) === 1) return 'sign-in ended';
  // Gone: read again what the enrollment that may have moved it left (a new statement sees its
  // commit; on PostgreSQL the delete above waited for it).
  const now = await findHeldCode(trx, owner, expiresAt);
  return now?.session_hash ? 'spent' : 'happened';
}

/**
 * Marks the code that opened an enrollment-only session as having enrolled (its session_hash
 * cleared), in the enrollment's transaction: its purpose is served, the factors it named are
 * retired, and a cancel of its scheduled change must say it is too late (takeBackHeldCode).
 */
export async function codeSessionEnrolled(trx: Executor, owner: Owner, sessionHash: string): Promise<void> {
  await trx.updateTable('temporary_codes').set({ session_hash: null }).where('owner_kind', '=', owner.kind).where('owner_id', '=', owner.id).where('session_hash', '=', sessionHash).execute();
}

/** The factors to retire when `sessionHash` enrolls: those of the code that opened it, if one did. */
export async function factorsRetiredBySession(db: Executor, owner: Owner, sessionHash: string): Promise<string[]> {
  const rows = await db
    .selectFrom('temporary_codes')
    .select('retire_factor_ids')
    .where('session_hash', '=', sessionHash)
    .where('owner_kind', '=', owner.kind)
    .where('owner_id', '=', owner.id)
    .execute();
  return rows.flatMap((r) => JSON.parse(r.retire_factor_ids) as string[]);
}
