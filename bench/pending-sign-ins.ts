/**
 * Seeds pending sign-ins for the second-step benchmarks: one contact per sign-in, each with an
 * active TOTP factor of its own and an `mfa`-level session with its challenge, as a correct
 * password would have left it. Returns each session's cookie token and the factor's seed.
 */
import type { Context } from '../src/context.js';
import { generateID } from '../src/crypto/random.js';
import { insertFactor } from '../src/mfa/store.js';
import { generateTOTPSecret } from '../src/mfa/totp.js';
import { startSession } from '../src/sessions/service.js';
import { openSecondStep } from '../src/mfa/sign-in.js';

export interface PendingSignIn {
  token: string;
  secret: Buffer;
}

export async function seedPendingSignIns(ctx: Context, total: number, meta: { ip: string; userAgent: string }): Promise<PendingSignIn[]> {
  const out: PendingSignIn[] = [];
  const now = new Date();
  const at = now.toISOString();
  const BATCH = 500;
  for (let from = 0; from < total; from += BATCH) {
    await ctx.db.transaction().execute(async (trx) => {
      const contacts = [];
      const factors = [];
      for (let i = from; i < Math.min(total, from + BATCH); i++) {
        const id = generateID('ct', now);
        contacts.push({ id, email: `second-step-${i}@example.com`, name: `Second Step ${i}`, password_hash: null, email_verified_at: at, created_at: at, updated_at: at });
        factors.push({ id: generateID('fa', now), owner: id, secret: generateTOTPSecret() });
      }
      await trx.insertInto('contacts').values(contacts).execute();
      for (const f of factors) {
        await insertFactor(trx, {
          id: f.id, owner_kind: 'contact', owner_id: f.owner, type: 'totp', name: 'Authenticator app', status: 'active',
          secret_sealed: ctx.secretBox.seal(f.secret, f.id), last_used_step: null, credential_id: null, public_key: null, counter: null,
          transports: null, aaguid: null, device_type: null, backed_up: null, created_at: at, last_used_at: null,
        });
        const { token, session } = await startSession(ctx, trx, 'contact', f.owner, 'mfa', meta);
        // As the password step does: the challenge the second step's tries are taken from.
        await openSecondStep(trx, session);
        out.push({ token, secret: f.secret });
      }
    });
  }
  return out;
}
