import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep } from './helpers/mfa.js';

/**
 * PRODUCT.md §7: a customer regenerating their recovery codes while a sign-in elsewhere uses one
 * of the old codes ends in a serial order. The sign-in first: it gets in, and the new set
 * replaces the nine codes left. The regeneration first: the old code is refused. Either way the
 * new set is exactly ten unused codes, no old code works afterwards, and the regeneration's
 * audit entry counts the old codes it voided as that order had them. Many rounds of real
 * concurrent requests; the race is real on PostgreSQL.
 */

const ROUNDS = 15;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
});
afterAll(async () => {
  await t.close();
});

describe('regenerating recovery codes racing a recovery-code sign-in', () => {
  it(`ends in a serial order, ${ROUNDS} rounds`, async () => {
    const orders = { signInFirst: 0, regenerateFirst: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const { client, email, id } = await signUpContact(t);
      const f = await enrollTOTP(t, client);
      nextStep(t);
      expect((await client.post('/api/v1/auth/step-up', { method: 'totp', code: codeFor(t, f.secret) })).statusCode).toBe(200);
      client.headers['x-csrf-token'] = await client.csrfToken('/api/v1/me/mfa/recovery-codes');
      const other = t.client();
      expect((await other.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
      other.headers['x-csrf-token'] = await other.csrfToken('/api/v1/auth/mfa/verify');
      const old = f.recoveryCodes![round % 10];
      // The regeneration starts a little later each round (a recovery code takes a while to
      // check), so that both orders occur.
      const regenerate = new Promise((resolve) => setTimeout(resolve, (round % 4) * 2)).then(() => client.post('/api/v1/me/mfa/recovery-codes'));
      const [regen, signIn] = await Promise.all([regenerate, other.post('/api/v1/auth/mfa/verify', { method: 'recovery_code', code: old })]);
      const why = `regen ${regen.statusCode} ${regen.body.slice(0, 80)}; sign-in ${signIn.statusCode} ${signIn.body}`;
      expect(regen.statusCode, why).toBe(201);
      expect([200, 400], why).toContain(signIn.statusCode);
      const signedInFirst = signIn.statusCode === 200;
      orders[signedInFirst ? 'signInFirst' : 'regenerateFirst']++;
      const db = t.ctx.db;
      const unused = await db.selectFrom('recovery_codes').select('id').where('owner_kind', '=', 'contact').where('owner_id', '=', id).where('used_at', 'is', null).execute();
      expect(unused, why).toHaveLength(10);
      const generated = await db.selectFrom('audit_events').select('details').where('contact_id', '=', id).where('action', '=', 'mfa.recovery_codes.generated').execute();
      expect(generated, why).toHaveLength(1);
      expect(JSON.parse(generated[0].details!).voided, why).toBe(signedInFirst ? 9 : 10);
      // No old code works any more; a new one does.
      nextStep(t);
      const later = t.client();
      await later.post('/api/v1/auth/login', { email, password: PASSWORD });
      expect((await later.post('/api/v1/auth/mfa/verify', { method: 'recovery_code', code: f.recoveryCodes![(round + 1) % 10] })).statusCode, why).toBe(400);
      expect((await later.post('/api/v1/auth/mfa/verify', { method: 'recovery_code', code: regen.json().codes[0] })).statusCode, why).toBe(200);
    }
    console.log('regenerate racing a recovery-code sign-in: orders', orders);
    // 15 rounds of argon2id work (enrollment, regeneration, recovery-code checks): about 18 s
    // alone, so the default 30 s was too tight beside the rest of the suite.
  }, 120_000);
});
