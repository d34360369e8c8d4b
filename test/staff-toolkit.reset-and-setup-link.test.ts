import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, secretFromBase32, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { MailSink } from './helpers/mail-sink.js';

let t: TestApp;
let sup: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  sup = await staffWithMFA(t, 'supervisor');
});
afterAll(async () => {
  await t.close();
});

describe('Reset MFA', () => {
  it('removes everything, signs out everywhere, and a password alone never enrolls again: the emailed setup link does', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    await sup.stepUp();
    const panel = await sup.client.get(`/api/v1/contacts/${id}/mfa`);
    expect(panel.json()).toMatchObject({ enrolled: true, recoveryCodesLeft: 10, factors: [{ type: 'totp' }] });
    expect(panel.json().activeSessions.length).toBeGreaterThan(0);

    const r = await sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'Lost phone, ticket #42', verification: { method: 'callback', note: 'called number on file' } });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ factorsRemoved: 1, recoveryCodesRemoved: 10, rememberedDevicesRemoved: 0, sessionsRevoked: 1, enrollmentRequired: true });
    expect((await client.get('/api/v1/auth/session')).json().state).toBe('anonymous');
    const mail = await t.mail.waitFor(email, 'Your two-step verification was reset');
    expect(mail.text).toContain('Our support team');
    expect(mail.text).toContain('our support team'); // "By: our support team"
    const setupToken = MailSink.token(mail, '/setup-mfa');

    const c = t.client();
    const login = await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect(login.json()).toMatchObject({ state: 'mfa_required', methods: ['setup_link', 'temporary_code'] });
    // The password alone reaches nothing, enrollment included.
    expect((await c.post('/api/v1/me/mfa/totp')).json().code).toBe('mfa_required');
    // A setup link of another account does not work.
    expect((await c.post('/api/v1/auth/setup-link', { token: 'x'.repeat(43) })).json().code).toBe('invalid_token');
    const used = await c.post('/api/v1/auth/setup-link', { token: setupToken });
    expect(used.json().state).toBe('enrollment_required');
    expect((await c.get('/api/v1/me/tickets')).json().code).toBe('enrollment_required');
    const start = await c.post('/api/v1/me/mfa/totp');
    const secret = secretFromBase32(start.json().secret);
    const done = await c.post(`/api/v1/me/mfa/totp/${start.json().factorId}/confirm`, { code: codeFor(t, secret) });
    expect(done.json()).toMatchObject({ state: 'authenticated' });
    expect(done.json().recoveryCodes).toHaveLength(10);
    // The link worked once.
    const again = t.client();
    await again.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await again.post('/api/v1/auth/setup-link', { token: setupToken })).json().code).toBe('invalid_token');

    const events = (await sup.client.get(`/api/v1/audit-events?contactId=${id}&action=mfa.reset`)).json().items;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: { type: 'staff', id: sup.id }, reason: 'Lost phone, ticket #42', verification: { method: 'callback', note: 'called number on file' } });
  });

  it('without "require setup", the customer signs in with the password alone afterwards', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    await sup.stepUp();
    const r = await sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'customer asked to turn MFA off', requireEnrollment: false });
    expect(r.json().enrollmentRequired).toBe(false);
    expect((await t.client().post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('authenticated');
  });

  it('two staff resetting at once end in one serial order', async () => {
    const other = await staffWithMFA(t, 'supervisor');
    const { client, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    await sup.stepUp();
    await other.stepUp();
    const [a, b] = await Promise.all([
      sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'race one' }),
      other.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'race two' }),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(a.json().factorsRemoved + b.json().factorsRemoved).toBe(1);
    expect(a.json().recoveryCodesRemoved + b.json().recoveryCodesRemoved).toBe(10);
  });

  it('a reset racing the customer enrolling ends with no factor and setup required', async () => {
    const { client, id } = await signUpContact(t);
    const start = await client.post('/api/v1/me/mfa/totp');
    const secret = secretFromBase32(start.json().secret);
    await sup.stepUp();
    const code = codeFor(t, secret);
    const [enroll, reset] = await Promise.all([
      client.post(`/api/v1/me/mfa/totp/${start.json().factorId}/confirm`, { code }),
      sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'race' }),
    ]);
    expect(reset.statusCode).toBe(200);
    expect([200, 401, 404, 409]).toContain(enroll.statusCode);
    const panel = (await sup.client.get(`/api/v1/contacts/${id}/mfa`)).json();
    expect(panel.factors).toHaveLength(0);
    expect(panel.recoveryCodesLeft).toBe(0);
    expect(panel.setupLinkRequired).toBe(true);
  });
});

describe('Remove one authenticator', () => {
  it('removes one factor and signs out everywhere by default; the last one is a reset with setup required', async () => {
    const { client, email, id } = await signUpContact(t);
    const phone = await enrollTOTP(t, client, 'contact', 'Phone');
    nextStep(t);
    expect((await client.post('/api/v1/auth/step-up', { method: 'totp', code: codeFor(t, phone.secret) })).statusCode).toBe(200);
    const tablet = await enrollTOTP(t, client, 'contact', 'Tablet');
    await sup.stepUp();
    const r = await sup.client.delete(`/api/v1/contacts/${id}/mfa/factors/${tablet.factorId}`, { reason: 'tablet stolen' });
    expect(r.json()).toEqual({ factorsRemoved: 1, sessionsRevoked: 1 });
    await t.mail.waitFor(email, 'A sign-in method was removed');
    const unknown = await sup.client.delete(`/api/v1/contacts/${id}/mfa/factors/fa_nope`, { reason: 'x' });
    expect(unknown.statusCode).toBe(404);
    const last = await sup.client.delete(`/api/v1/contacts/${id}/mfa/factors/${phone.factorId}`, { reason: 'phone stolen', revokeSessions: false });
    expect(last.json().factorsRemoved).toBe(1);
    expect((await t.client().post('/api/v1/auth/login', { email, password: PASSWORD })).json().methods).toEqual(['setup_link', 'temporary_code']);
  });
});
