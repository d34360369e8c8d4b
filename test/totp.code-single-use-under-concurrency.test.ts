import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, oneAfterAnother, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep } from './helpers/mfa.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('a TOTP code is accepted at most once per factor', () => {
  it('refuses a replayed code in a later sign-in', async () => {
    const { client, email } = await signUpContact(t);
    const { secret } = await enrollTOTP(t, client);
    nextStep(t);
    const code = codeFor(t, secret);
    const first = t.client();
    await first.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await first.post('/api/v1/auth/mfa/verify', { method: 'totp', code })).statusCode).toBe(200);
    const second = t.client();
    await second.post('/api/v1/auth/login', { email, password: PASSWORD });
    const replay = await second.post('/api/v1/auth/mfa/verify', { method: 'totp', code });
    expect(replay.statusCode).toBe(400);
    expect(replay.json().code).toBe('invalid_code');
    // An older step than the last one used is refused too, although it is within the window.
    const older = await second.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, secret, -1) });
    expect(older.json().code).toBe('invalid_code');
  });

  it('lets exactly one of 20 concurrent sign-ins with the same code through', async () => {
    const { client, email } = await signUpContact(t);
    const { secret } = await enrollTOTP(t, client);
    nextStep(t);
    const clients = await oneAfterAnother(20, async () => {
      const c = t.client();
      const r = await c.post('/api/v1/auth/login', { email, password: PASSWORD });
      expect(r.json().state).toBe('mfa_required');
      // Fetch the CSRF token now so the verifies below start together.
      c.headers['x-csrf-token'] = await c.csrfToken('/api/v1/auth/mfa/verify');
      return c;
    });
    const code = codeFor(t, secret);
    const results = await Promise.all(clients.map((c) => c.post('/api/v1/auth/mfa/verify', { method: 'totp', code })));
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    // The rest are refused: a wrong code (400), or 429 once ten failures locked the account.
    expect(statuses.filter((s) => s === 400 || s === 429)).toHaveLength(19);
  });
});
