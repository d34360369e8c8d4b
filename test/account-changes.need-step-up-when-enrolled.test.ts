import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, staffWithMFA } from './helpers/mfa.js';
import { signUpContact } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('a stolen session cannot quietly move the account', () => {
  it('changing the password or the email needs a step-up once MFA is on', async () => {
    const { client } = await signUpContact(t);
    const f = await enrollTOTP(t, client);
    t.clock.advance(6 * 60_000);
    const pw = await client.post('/api/v1/me/password', { currentPassword: PASSWORD, newPassword: 'another long password' });
    expect(pw.json().code).toBe('step_up_required');
    const em = await client.post('/api/v1/me/email', { email: 'elsewhere@example.com', password: PASSWORD });
    expect(em.json().code).toBe('step_up_required');
    nextStep(t);
    expect((await client.post('/api/v1/auth/step-up', { method: 'totp', code: codeFor(t, f.secret) })).statusCode).toBe(200);
    expect((await client.post('/api/v1/me/email', { email: 'elsewhere@example.com', password: PASSWORD })).statusCode).toBe(202);
  });

  it('staff cannot run the toolkit on a customer account with their own address', async () => {
    const sup = await staffWithMFA(t, 'supervisor');
    const own = await signUpContact(t, sup.email, 'Sup as a customer');
    await enrollTOTP(t, own.client);
    await sup.stepUp();
    const r = await sup.client.post(`/api/v1/contacts/${own.id}/mfa/reset`, { reason: 'myself' });
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('forbidden');
  });
});
