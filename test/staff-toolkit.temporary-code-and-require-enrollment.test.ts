import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, secretFromBase32, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import type { Client } from './helpers/client.js';

let t: TestApp;
let sup: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  sup = await staffWithMFA(t, 'supervisor');
});
afterAll(async () => {
  await t.close();
});

async function enrollNew(c: Client) {
  const start = await c.post('/api/v1/me/mfa/totp');
  expect(start.statusCode, start.body).toBe(201);
  const secret = secretFromBase32(start.json().secret);
  return c.post(`/api/v1/me/mfa/totp/${start.json().factorId}/confirm`, { code: codeFor(t, secret), name: 'New phone' });
}

describe('Temporary access code', () => {
  it('stands in for the second step once, opens an enrollment-only session, and the old factors go at enrollment', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client, 'contact', 'Lost phone');
    await sup.stepUp();
    const issued = await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'lost phone, verified by callback', verification: { method: 'callback' }, ttlMinutes: 30 });
    expect(issued.statusCode, issued.body).toBe(201);
    const { code, expiresAt } = issued.json();
    expect(code).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    expect(new Date(expiresAt).getTime() - t.clock.now().getTime()).toBe(30 * 60_000);
    await t.mail.waitFor(email, 'A temporary access code was issued');

    const c = t.client();
    const login = await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect(login.json().methods).toContain('temporary_code');
    const used = await c.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code: code.toLowerCase() });
    expect(used.json().state).toBe('enrollment_required');
    await t.mail.waitFor(email, 'A temporary access code was used on your account');
    expect((await sup.client.get(`/api/v1/audit-events?contactId=${id}&action=mfa.temporary_code.used`)).json().items).toHaveLength(1);
    expect((await c.get('/api/v1/me/tickets')).json().code).toBe('enrollment_required');
    const done = await enrollNew(c);
    expect(done.json().state).toBe('authenticated');
    expect(done.json().recoveryCodes).toHaveLength(10);
    const mine = (await c.get('/api/v1/me/mfa')).json();
    expect(mine.factors.map((f: { name: string }) => f.name)).toEqual(['New phone']);

    // Single use.
    const again = t.client();
    await again.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await again.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code })).json().code).toBe('invalid_code');
    // The code appears in no later response, log or audit entry.
    const audit = await sup.client.get(`/api/v1/audit-events?contactId=${id}`);
    expect(audit.body).not.toContain(code);
    expect(audit.body).not.toContain(code.replace(/-/g, ''));
    expect((await sup.client.get(`/api/v1/contacts/${id}/mfa`)).body).not.toContain(code.replace(/-/g, ''));
  });

  it('a new code voids the old one; an expired code does not work', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    await sup.stepUp();
    const first = (await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'one' })).json().code;
    const second = (await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'two', ttlMinutes: 1 })).json().code;
    const c = t.client();
    await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await c.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code: first })).json().code).toBe('invalid_code');
    t.clock.advance(61_000);
    const d = t.client();
    await d.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await d.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code: second })).json().code).toBe('invalid_code');
  });

  it('rejects a validity outside 1 minute to 72 hours', async () => {
    const { id } = await signUpContact(t);
    await sup.stepUp();
    for (const ttlMinutes of [0, 4321, 1.5, '60']) {
      const r = await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'x', ttlMinutes });
      expect(r.statusCode, String(ttlMinutes)).toBe(400);
    }
  });

  it('lets exactly one of 10 concurrent sign-ins use one code', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    await sup.stepUp();
    const code = (await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'race' })).json().code;
    const clients = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const c = t.client();
        await c.post('/api/v1/auth/login', { email, password: PASSWORD });
        c.headers['x-csrf-token'] = await c.csrfToken('/api/v1/auth/mfa/verify');
        return c;
      }),
    );
    const results = await Promise.all(clients.map((c) => c.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code })));
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
  });
});

describe('Require MFA setup at next sign-in', () => {
  it('signs out everywhere; the next sign-in needs a full second step (never a remembered device), then a new factor, and the old ones go', async () => {
    const { client, email, id } = await signUpContact(t);
    const old = await enrollTOTP(t, client, 'contact', 'Old phone');
    nextStep(t);
    const remembered = t.client();
    await remembered.post('/api/v1/auth/login', { email, password: PASSWORD });
    await remembered.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, old.secret), rememberDevice: true });
    await sup.stepUp();
    const r = await sup.client.post(`/api/v1/contacts/${id}/mfa/require-enrollment`, { reason: 'suspicious sign-ins' });
    expect(r.json()).toEqual({ sessionsRevoked: 2, rememberedDevicesRemoved: 1 });
    expect((await client.get('/api/v1/auth/session')).json().state).toBe('anonymous');
    await t.mail.waitFor(email, 'Set up two-step verification again');

    const login = await remembered.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect(login.json().state).toBe('mfa_required');
    nextStep(t);
    const passed = await remembered.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, old.secret) });
    expect(passed.json().state).toBe('enrollment_required');
    const done = await enrollNew(remembered);
    expect(done.json().state).toBe('authenticated');
    expect((await remembered.get('/api/v1/me/mfa')).json().factors.map((f: { name: string }) => f.name)).toEqual(['New phone']);
    expect((await sup.client.get(`/api/v1/contacts/${id}/mfa`)).json().enrollmentRequired).toBe(false);
  });

  it('can be cancelled until it happens', async () => {
    const { client, email, id } = await signUpContact(t);
    const f = await enrollTOTP(t, client);
    await sup.stepUp();
    expect((await sup.client.delete(`/api/v1/contacts/${id}/mfa/require-enrollment`, { reason: 'none pending' })).statusCode).toBe(404);
    await sup.client.post(`/api/v1/contacts/${id}/mfa/require-enrollment`, { reason: 'x' });
    expect((await sup.client.delete(`/api/v1/contacts/${id}/mfa/require-enrollment`, { reason: 'mistake' })).statusCode).toBe(200);
    nextStep(t);
    const c = t.client();
    await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await c.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, f.secret) })).json().state).toBe('authenticated');
  });
});
