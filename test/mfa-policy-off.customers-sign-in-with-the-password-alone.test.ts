import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, secretFromBase32, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { MailSink } from './helpers/mail-sink.js';
import type { Client } from './helpers/client.js';

/**
 * PRODUCT.md §3: "Under `off`, nobody is asked for a second step and enrollment is hidden."
 * A customer whose MFA staff reset with setup required, or who has a temporary access code
 * outstanding, was still asked for a setup link or the code, which led to an enrollment that
 * `off` refuses: they could not get in at all. Under `off` a customer is signed in by the
 * password alone, whatever staff asked of their MFA; what staff asked stands again when the
 * policy is turned back on. Staff are unaffected: they always use their factors.
 */
let t: TestApp;
let sup: StaffWithMFA;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  sup = await staffWithMFA(t, 'supervisor');
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

async function setPolicy(policy: 'off' | 'optional' | 'required') {
  await admin.stepUp();
  const r = await admin.client.put('/api/v1/settings/mfa', { policy, reason: 'test' });
  expect(r.statusCode, r.body).toBe(200);
}

async function underOff(run: () => Promise<void>) {
  await setPolicy('off');
  try {
    await run();
  } finally {
    await setPolicy('optional');
  }
}

/** Password only; expects the customer to be fully signed in and able to use the help center. */
async function signsInWithPasswordAlone(email: string): Promise<Client> {
  const c = t.client();
  const login = await c.post('/api/v1/auth/login', { email, password: PASSWORD });
  expect(login.statusCode, login.body).toBe(200);
  expect(login.json().state, login.body).toBe('authenticated');
  expect(login.json().methods).toBeUndefined();
  expect((await c.get('/api/v1/auth/session')).json().state).toBe('authenticated');
  const tickets = await c.get('/api/v1/me/tickets');
  expect(tickets.statusCode, tickets.body).toBe(200);
  return c;
}

async function resetWithSetup(contactID: string, email: string): Promise<string> {
  await sup.stepUp();
  const r = await sup.client.post(`/api/v1/contacts/${contactID}/mfa/reset`, { reason: 'lost phone', verification: { method: 'callback' } });
  expect(r.statusCode, r.body).toBe(200);
  expect(r.json().enrollmentRequired).toBe(true);
  return MailSink.token(await t.mail.waitFor(email, 'Your two-step verification was reset'), '/setup-mfa');
}

describe('Under policy "off"', () => {
  it('a customer whose MFA was reset with setup required signs in with the password, and is asked for the setup again once the policy is back on', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    const setupToken = await resetWithSetup(id, email);

    await underOff(async () => {
      const c = await signsInWithPasswordAlone(email);
      // Enrollment stays hidden; the setup link has no sign-in to finish: refusals, never a 500.
      const enroll = await c.post('/api/v1/me/mfa/totp');
      expect(enroll.statusCode, enroll.body).toBe(403);
      expect(enroll.headers['content-type']).toContain('application/problem+json');
      const link = await c.post('/api/v1/auth/setup-link', { token: setupToken });
      expect(link.statusCode, link.body).toBe(401);
      expect(link.headers['content-type']).toContain('application/problem+json');
      const bad = await c.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code: 'not a code' });
      expect(bad.statusCode, bad.body).toBeGreaterThanOrEqual(400);
      expect(bad.statusCode, bad.body).toBeLessThan(500);
    });

    // Back on: the reset's requirement stands, and the same (unused) link leads to the setup.
    const c = t.client();
    expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).json()).toMatchObject({ state: 'mfa_required', methods: ['setup_link', 'temporary_code'] });
    expect((await c.post('/api/v1/auth/setup-link', { token: setupToken })).json().state).toBe('enrollment_required');
    const start = await c.post('/api/v1/me/mfa/totp');
    const secret = secretFromBase32(start.json().secret);
    expect((await c.post(`/api/v1/me/mfa/totp/${start.json().factorId}/confirm`, { code: codeFor(t, secret) })).json().state).toBe('authenticated');
  });

  it('a customer with an outstanding temporary access code signs in with the password, and the code stays unused', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client, 'contact', 'Phone');
    await sup.stepUp();
    const issued = await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'caller', verification: { method: 'callback' } });
    expect(issued.statusCode, issued.body).toBe(201);
    const code = issued.json().code;

    await underOff(async () => {
      await signsInWithPasswordAlone(email);
    });

    const c = t.client();
    const back = (await c.post('/api/v1/auth/login', { email, password: PASSWORD })).json();
    expect(back.state).toBe('mfa_required');
    expect(back.methods).toContain('temporary_code');
    expect((await c.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code })).json().state).toBe('enrollment_required');
  });

  it('a customer with factors, a required enrollment and a temporary code is not asked for a second step, and keeps the factors', async () => {
    const { client, email, id } = await signUpContact(t);
    const phone = await enrollTOTP(t, client, 'contact', 'Phone');
    await sup.stepUp();
    expect((await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'caller' })).statusCode).toBe(201);
    expect((await sup.client.post(`/api/v1/contacts/${id}/mfa/require-enrollment`, { reason: 'suspicious' })).statusCode).toBe(200);

    await underOff(async () => {
      const c = await signsInWithPasswordAlone(email);
      expect((await c.post('/api/v1/me/mfa/totp')).statusCode).toBe(403);
      expect((await c.get('/api/v1/me/mfa')).json().factors.map((f: { name: string }) => f.name)).toEqual(['Phone']);
    });

    // Back on: the full second step, then the required enrollment.
    nextStep(t);
    const c = t.client();
    expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).json().methods).toEqual(['totp', 'recovery_code', 'temporary_code']);
    expect((await c.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, phone.secret) })).json().state).toBe('enrollment_required');
  });

  it('staff are still asked for their own second step', async () => {
    await underOff(async () => {
      const c = t.client();
      const login = await c.post('/api/v1/staff-auth/login', { email: sup.email, password: PASSWORD });
      expect(login.json()).toMatchObject({ state: 'mfa_required', methods: ['totp', 'recovery_code'] });
      nextStep(t);
      expect((await c.post('/api/v1/staff-auth/mfa/verify', { method: 'totp', code: codeFor(t, sup.secret) })).json().state).toBe('authenticated');
    });
  });
});
