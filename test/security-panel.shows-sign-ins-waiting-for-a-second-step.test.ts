import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// A sign-in that passed the password and waits for the second step means someone knows the
// customer's password. While a caller asks support for a reset, the Security panel shows such
// sign-ins apart from the active sessions (with when, the IP and the browser), so the agent can
// see whether "the customer" on the phone is signing in from somewhere else; signing out
// everywhere ends them too.

let t: TestApp;
let sup: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  sup = await staffWithMFA(t, 'supervisor');
});
afterAll(async () => {
  await t.close();
});

describe('the Security panel', () => {
  it('lists pending sign-ins apart from the active sessions, and sign out everywhere ends them', async () => {
    const customer = await signUpContact(t);
    await enrollTOTP(t, customer.client);
    const caller = t.client();
    const login = await caller.post('/api/v1/auth/login', { email: customer.email, password: PASSWORD }, { 'user-agent': 'CallerBrowser/1.0' });
    expect(login.json().state).toBe('mfa_required');

    const panel = (await sup.client.get(`/api/v1/contacts/${customer.id}/mfa`)).json();
    expect(panel.activeSessions).toHaveLength(1);
    expect(panel.pendingSignIns).toHaveLength(1);
    expect(panel.pendingSignIns[0]).toMatchObject({ state: 'mfa_required', userAgent: 'CallerBrowser/1.0', ip: expect.any(String), createdAt: expect.any(String) });
    // Nothing secret: no session id or hash in either list.
    expect(JSON.stringify(panel.pendingSignIns)).not.toMatch(/idHash|id_hash|token/i);

    await sup.stepUp();
    const revoked = await sup.client.post(`/api/v1/contacts/${customer.id}/sessions/revoke`, { reason: 'caller could not answer the checks' });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json().sessionsRevoked).toBe(2);
    const after = (await sup.client.get(`/api/v1/contacts/${customer.id}/mfa`)).json();
    expect(after).toMatchObject({ activeSessions: [], pendingSignIns: [] });
    expect((await caller.get('/api/v1/auth/session')).json().state).toBe('anonymous');
  });

  it('shows none when nobody is part-way through a sign-in', async () => {
    const customer = await signUpContact(t);
    expect((await sup.client.get(`/api/v1/contacts/${customer.id}/mfa`)).json().pendingSignIns).toEqual([]);
  });
});
