import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, nextStep, secretFromBase32 } from './helpers/mfa.js';

// Under policy `optional` a customer without a factor signs in with the password alone, to a
// full session with no step-up. New recovery codes need a factor, and once one exists they need
// a step-up. Whoever knows the password and asks for new codes over and over while the owner
// adds their first factor must get either 409 (no factor yet) or 403 `step_up_required` (one
// exists now), never a set of codes: codes that would pass the second step the owner just
// turned on. The step-up is decided on the factors read under the person's MFA lock, in the
// transaction that replaces the codes. The interleaving exists only on PostgreSQL (on the old
// code it handed out codes within a few rounds); SQLite runs one writer at a time, so there the
// test checks only the one-after-the-other answers.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('regenerating recovery codes while the owner adds a first factor', () => {
  it('never hands codes to a session without a step-up', async () => {
    const seen = new Set<number>();
    for (let round = 0; round < 10; round++) {
      const { client: owner, email } = await signUpContact(t);
      const other = t.client();
      expect((await other.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('authenticated');
      nextStep(t);
      const start = await owner.post('/api/v1/me/mfa/totp');
      const secret = secretFromBase32(start.json().secret);
      let confirmed = false;
      const confirm = owner.post(`/api/v1/me/mfa/totp/${start.json().factorId}/confirm`, { code: codeFor(t, secret) }).finally(() => (confirmed = true));
      while (!confirmed) {
        const batch = await Promise.all(Array.from({ length: 4 }, () => other.post('/api/v1/me/mfa/recovery-codes')));
        for (const r of batch) {
          seen.add(r.statusCode);
          expect([409, 403], r.body).toContain(r.statusCode);
        }
      }
      expect((await confirm).statusCode).toBe(200);
      const after = await other.post('/api/v1/me/mfa/recovery-codes');
      expect(after.statusCode).toBe(403);
      expect(after.json().code).toBe('step_up_required');
    }
    // The requests did run on both sides of the enrollment.
    expect(seen.has(409)).toBe(true);
  });
});
