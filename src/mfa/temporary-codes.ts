import type { Context, RequestMeta } from '../context.js';
import { appendAuditEvent } from '../audit/service.js';
import { templates } from '../notify/templates.js';
import type { Executor } from '../db/index.js';
import { generateBase32, generateID, normalizeBase32 } from '../crypto/random.js';
import { deriveKey, hmacHex } from '../crypto/hash.js';
import type { Account } from '../accounts/store.js';
import * as store from './store.js';
import * as stateStore from './state-store.js';
import type { Owner } from './store.js';

/**
 * Temporary access codes (PRODUCT.md §4.4): 15 Crockford base32 characters (75 random bits),
 * read aloud as XXXXX-XXXXX-XXXXX, stored only as a keyed hash. At sign-in a code stands in for
 * the second step once and opens an enrollment-only session; the factors that existed when it
 * was issued are removed when the person enrolls a new one.
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

export async function hasOutstandingTemporaryCode(ctx: Context, account: Account): Promise<boolean> {
  const r = await ctx.db
    .selectFrom('temporary_codes')
    .select('id')
    .where('owner_kind', '=', account.kind)
    .where('owner_id', '=', account.id)
    .where('used_at', 'is', null)
    .where('voided_at', 'is', null)
    .where('expires_at', '>', ctx.clock.now().toISOString())
    .where((eb) => eb.or([eb('valid_from', 'is', null), eb('valid_from', '<=', ctx.clock.now().toISOString())]))
    .executeTakeFirst();
  return r !== undefined;
}

/**
 * Uses a code up: found by its keyed hash, consumed by one conditional UPDATE whose row count
 * decides. On success the person's older factors are marked for retirement at enrollment.
 */
export async function consumeTemporaryCode(ctx: Context, account: Account, typed: string, meta: RequestMeta): Promise<boolean> {
  const normalized = normalizeBase32(typed);
  if (!/^[0-9A-HJKMNP-TV-Z]{15}$/.test(normalized)) return false;
  const nowISO = ctx.clock.now().toISOString();
  const used = await ctx.db
    .updateTable('temporary_codes')
    .set({ used_at: nowISO })
    .where('code_hash', '=', hashCode(ctx, normalized))
    .where('owner_kind', '=', account.kind)
    .where('owner_id', '=', account.id)
    .where('used_at', 'is', null)
    .where('voided_at', 'is', null)
    .where('expires_at', '>', nowISO)
    // A code held back by the waiting period does not work before its time.
    .where((eb) => eb.or([eb('valid_from', 'is', null), eb('valid_from', '<=', nowISO)]))
    .returning(['retire_factor_ids'])
    .executeTakeFirst();
  if (!used) return false;
  await ctx.db.transaction().execute(async (trx) => {
    await stateStore.updateMFAAccount(trx, { kind: account.kind, id: account.id }, { retire_factor_ids: used.retire_factor_ids }, nowISO);
    await appendAuditEvent(ctx, trx, {
      actor: { type: account.kind, id: account.id },
      action: 'mfa.temporary_code.used',
      ...(account.kind === 'contact' ? { contactID: account.id } : { staffID: account.id }),
      meta,
    });
    await ctx.mailer.enqueue(
      trx,
      templates.securityNotice(
        account.email,
        'A temporary access code was used on your account',
        ['The temporary access code from our support team was used to sign in to your account and set up a new sign-in method. Your earlier methods will be removed once the new one is set up.'],
        { at: ctx.clock.now(), ...meta },
      ),
    );
  });
  return true;
}
