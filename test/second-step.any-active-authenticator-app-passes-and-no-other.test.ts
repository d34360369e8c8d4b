import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, secretFromBase32 } from './helpers/mfa.js';

// PRODUCT.md §3: several authenticator apps may be enrolled, each named, and any of them passes
// the second step. A code of an app that was removed, or whose enrollment was never confirmed,
// is a wrong code: the second step reads only active apps (with the challenge's limits, one row
// per app: signInLimitsWithTOTPFactors in src/mfa/state-store.ts), and the replay guard's write
// spends a step of an active app only.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

async function signInWith(email: string, code: string) {
  const c = t.client();
  const login = await c.post('/api/v1/auth/login', { email, password: PASSWORD });
  expect(login.json().state).toBe('mfa_required');
  return c.post('/api/v1/auth/mfa/verify', { method: 'totp', code });
}

async function lastSignInFactor(contactID: string): Promise<string> {
  const r = await t.ctx.db
    .selectFrom('audit_events')
    .select('details')
    .where('contact_id', '=', contactID)
    .where('action', '=', 'auth.login.succeeded')
    .orderBy('seq', 'desc')
    .executeTakeFirstOrThrow();
  return JSON.parse(r.details!).factorId;
}

describe('the second step with several authenticator apps', () => {
  it('passes with a code of any active app, named as the factor used, and with no removed or unconfirmed one', async () => {
    const { client, email, id } = await signUpContact(t);
    const phone = await enrollTOTP(t, client, 'contact', 'Phone');
    nextStep(t);
    expect((await client.post('/api/v1/auth/step-up', { method: 'totp', code: codeFor(t, phone.secret) })).statusCode).toBe(200);
    const tablet = await enrollTOTP(t, client, 'contact', 'Tablet');
    const old = await enrollTOTP(t, client, 'contact', 'Old phone');
    // An app whose enrollment was started and never confirmed.
    const started = await client.post('/api/v1/me/mfa/totp');
    expect(started.statusCode).toBe(201);
    const unconfirmed = secretFromBase32(started.json().secret);
    expect((await client.delete(`/api/v1/me/mfa/factors/${old.factorId}`)).statusCode).toBe(204);

    nextStep(t);
    const byTablet = await signInWith(email, codeFor(t, tablet.secret));
    expect(byTablet.statusCode, byTablet.body).toBe(200);
    expect(await lastSignInFactor(id)).toBe(tablet.factorId);

    nextStep(t);
    const byPhone = await signInWith(email, codeFor(t, phone.secret));
    expect(byPhone.statusCode, byPhone.body).toBe(200);
    expect(await lastSignInFactor(id)).toBe(phone.factorId);

    for (const secret of [old.secret, unconfirmed]) {
      nextStep(t);
      const refused = await signInWith(email, codeFor(t, secret));
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ code: 'invalid_code', attemptsLeft: 4 });
    }
  });
});
