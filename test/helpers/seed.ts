import { randomBytes } from 'node:crypto';
import type { Context } from '../../src/context.js';
import { generateID } from '../../src/crypto/random.js';
import { hashPassword } from '../../src/crypto/password.js';
import { generateTOTPSecret } from '../../src/mfa/totp.js';

/**
 * Inserts `n` verified contacts, each with an active authenticator app and `codes` recovery
 * codes, straight into the database (fast, for bulk tests and benchmarks). Returns their ids.
 */
export async function seedEnrolledContacts(ctx: Context, n: number, opts: { codes?: number; factorCreatedAt?: string; type?: 'totp' | 'webauthn' } = {}): Promise<string[]> {
  const now = ctx.clock.now().toISOString();
  const passwordHash = await hashPassword('correct horse battery');
  const ids: string[] = [];
  const tag = randomBytes(3).toString('hex');
  for (let start = 0; start < n; start += 500) {
    const batch = Array.from({ length: Math.min(500, n - start) }, (_, i) => {
      const id = generateID('ct');
      ids.push(id);
      return { id, email: `bulk-${tag}-${start + i}@example.com`, name: `Bulk ${start + i}`, password_hash: passwordHash, email_verified_at: now, created_at: now, updated_at: now };
    });
    await ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto('contacts').values(batch).execute();
      await trx
        .insertInto('mfa_factors')
        .values(
          batch.map((c) => {
            const fid = generateID('fa');
            return {
              id: fid,
              owner_kind: 'contact' as const,
              owner_id: c.id,
              type: opts.type ?? ('totp' as const),
              name: 'Phone',
              status: 'active' as const,
              secret_sealed: opts.type === 'webauthn' ? null : ctx.secretBox.seal(generateTOTPSecret(), fid),
              last_used_step: null,
              credential_id: opts.type === 'webauthn' ? randomBytes(16).toString('base64url') : null,
              public_key: null,
              counter: opts.type === 'webauthn' ? 0 : null,
              transports: null,
              aaguid: null,
              device_type: null,
              backed_up: null,
              created_at: opts.factorCreatedAt ?? now,
              last_used_at: null,
            };
          }),
        )
        .execute();
      const codes = opts.codes ?? 0;
      if (codes) {
        const rows = batch.flatMap((c) => Array.from({ length: codes }, () => ({ id: generateID('rc'), owner_kind: 'contact' as const, owner_id: c.id, code_hash: 'x', created_at: now, used_at: null })));
        for (let i = 0; i < rows.length; i += 1000) await trx.insertInto('recovery_codes').values(rows.slice(i, i + 1000)).execute();
      }
    });
  }
  return ids;
}
