import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, oneAfterAnother, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP } from './helpers/mfa.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('a recovery code works once', () => {
  it('lets exactly one of 20 concurrent uses of one code through', async () => {
    const { client, email } = await signUpContact(t);
    const { recoveryCodes } = await enrollTOTP(t, client);
    const clients = await oneAfterAnother(20, async () => {
      const c = t.client();
      await c.post('/api/v1/auth/login', { email, password: PASSWORD });
      c.headers['x-csrf-token'] = await c.csrfToken('/api/v1/auth/mfa/verify');
      return c;
    });
    const results = await Promise.all(clients.map((c) => c.post('/api/v1/auth/mfa/verify', { method: 'recovery_code', code: recoveryCodes![0] })));
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    // The rest are refused: a wrong code (400), or 429 once ten failures locked the account.
    expect(results.filter((r) => r.statusCode === 400 || r.statusCode === 429)).toHaveLength(19);
    t.clock.advance(16 * 60_000);
    const me = t.client();
    await me.post('/api/v1/auth/login', { email, password: PASSWORD });
    await me.post('/api/v1/auth/mfa/verify', { method: 'recovery_code', code: recoveryCodes![1] });
    expect((await me.get('/api/v1/me/mfa')).json().recoveryCodesLeft).toBe(8);
  });

  it('voids the old set when the codes are regenerated (with a step-up)', async () => {
    const { client, email } = await signUpContact(t);
    const { recoveryCodes } = await enrollTOTP(t, client);
    // The enrollment's sign-in step-up is long gone after 6 minutes.
    t.clock.advance(6 * 60_000);
    const denied = await client.post('/api/v1/me/mfa/recovery-codes');
    expect(denied.statusCode).toBe(403);
    expect(denied.json().code).toBe('step_up_required');
    const up = await client.post('/api/v1/auth/step-up', { method: 'recovery_code', code: recoveryCodes![9] });
    expect(up.statusCode, up.body).toBe(200);
    const fresh = await client.post('/api/v1/me/mfa/recovery-codes');
    expect(fresh.statusCode).toBe(201);
    expect(fresh.json().codes).toHaveLength(10);
    const c = t.client();
    await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await c.post('/api/v1/auth/mfa/verify', { method: 'recovery_code', code: recoveryCodes![0] })).json().code).toBe('invalid_code');
    expect((await c.post('/api/v1/auth/mfa/verify', { method: 'recovery_code', code: fresh.json().codes[0] })).statusCode).toBe(200);
    await t.mail.waitFor(email, 'New recovery codes');
  });
});
