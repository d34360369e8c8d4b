import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, type TestApp } from './helpers/app.js';
import { codeFor, nextStep, secretFromBase32, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { MailSink } from './helpers/mail-sink.js';
import type { Client } from './helpers/client.js';

// API.md: "the same actions under /staff/{id}/… [staff:manage] for staff accounts; admins
// only". PRODUCT.md §4: a reason, a step-up, never one's own account, audited, and the person
// emailed; a staff member's MFA is reset by an admin.

let t: TestApp;
let admin: StaffWithMFA;
let otherAdmin: StaffWithMFA;
let sup: StaffWithMFA;
let agent: StaffWithMFA;

const ACTIONS = (id: string): Array<[string, string, Record<string, unknown>]> => [
  ['POST', `/api/v1/staff/${id}/mfa/reset`, { reason: 'r' }],
  ['POST', `/api/v1/staff/${id}/mfa/require-enrollment`, { reason: 'r' }],
  ['DELETE', `/api/v1/staff/${id}/mfa/require-enrollment`, { reason: 'r' }],
  ['POST', `/api/v1/staff/${id}/mfa/temporary-codes`, { reason: 'r' }],
  ['POST', `/api/v1/staff/${id}/mfa/unlock`, { reason: 'r' }],
  ['POST', `/api/v1/staff/${id}/sessions/revoke`, { reason: 'r' }],
  ['POST', `/api/v1/staff/${id}/remembered-devices/revoke`, { reason: 'r' }],
  ['POST', `/api/v1/staff/${id}/identity-checks`, {}],
  ['POST', `/api/v1/staff/${id}/identity-checks/chk_x/confirm`, { code: '123456' }],
  ['DELETE', `/api/v1/staff/${id}/mfa/factors/fa_x`, { reason: 'r' }],
];

async function signInWithTOTP(email: string, secret: Buffer): Promise<Client> {
  const c = t.client();
  expect((await c.post('/api/v1/staff-auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
  nextStep(t);
  expect((await c.post('/api/v1/staff-auth/mfa/verify', { method: 'totp', code: codeFor(t, secret) })).json().state).toBe('authenticated');
  return c;
}

beforeAll(async () => {
  t = await createTestApp();
  admin = await staffWithMFA(t, 'admin');
  otherAdmin = await staffWithMFA(t, 'admin');
  sup = await staffWithMFA(t, 'supervisor');
  agent = await staffWithMFA(t, 'agent');
});
afterAll(async () => {
  await t.close();
});

describe('MFA actions on staff accounts', () => {
  it('are 403 forbidden to a supervisor (session or token with mfa:manage) and change nothing', async () => {
    await sup.stepUp();
    for (const [method, url, body] of [...ACTIONS(agent.id), ['GET', `/api/v1/staff/${agent.id}/mfa`, {}] as [string, string, Record<string, unknown>]]) {
      const r = await sup.client.request(method, url, method === 'GET' ? undefined : body);
      expect(r.statusCode, `${method} ${url}`).toBe(403);
      expect(r.json().code, `${method} ${url}`).toBe('forbidden');
    }
    await admin.stepUp();
    const { token } = (await admin.client.post('/api/v1/api-tokens', { name: 'x', scopes: ['mfa:manage', 'contacts:read'] })).json();
    for (const [method, url, body] of ACTIONS(agent.id)) {
      const r = await t.client().request(method, url, body, { authorization: `Bearer ${token}` });
      expect(r.statusCode, `${method} ${url}`).toBe(403);
    }
    expect((await admin.client.get(`/api/v1/staff/${agent.id}/mfa`)).json().enrolled).toBe(true);
  });

  it('are 403 forbidden on one\'s own account and need a step-up and a reason', async () => {
    await admin.stepUp();
    for (const [method, url, body] of ACTIONS(admin.id)) {
      const r = await admin.client.request(method, url, body);
      expect(r.statusCode, `${method} ${url}`).toBe(403);
      expect(r.json().code, `${method} ${url}`).toBe('forbidden');
    }
    t.clock.advance(6 * 60_000);
    for (const [method, url, body] of ACTIONS(agent.id)) {
      const r = await admin.client.request(method, url, body);
      expect(r.statusCode, `${method} ${url}`).toBe(403);
      expect(r.json().code, `${method} ${url}`).toBe('step_up_required');
    }
    await admin.stepUp();
    for (const body of [{}, { reason: '' }, { reason: 'x'.repeat(1001) }]) {
      const r = await admin.client.post(`/api/v1/staff/${agent.id}/mfa/reset`, body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(r.headers['content-type']).toContain('application/problem+json');
    }
    expect((await admin.client.post('/api/v1/staff/st_nobody/mfa/reset', { reason: 'r' })).statusCode).toBe(404);
    expect((await admin.client.post(`/api/v1/staff/${sup.id.replace('st_', 'ct_')}/mfa/reset`, { reason: 'r' })).statusCode).toBe(404);
    expect((await admin.client.get(`/api/v1/staff/${agent.id}/mfa`)).json().enrolled).toBe(true);
  });

  it('an admin resets another admin (the only other one): audited with the reason, emailed, and the reset admin sets MFA up again at the next sign-in', async () => {
    await otherAdmin.stepUp();
    const r = await otherAdmin.client.post(`/api/v1/staff/${admin.id}/mfa/reset`, { reason: 'admin lost their phone', verification: { method: 'callback', note: 'desk phone' } });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ factorsRemoved: 1, enrollmentRequired: true });
    expect(r.json().sessionsRevoked).toBeGreaterThanOrEqual(1);
    expect((await admin.client.get('/api/v1/staff-auth/session')).json().state).toBe('anonymous');
    const events = (await otherAdmin.client.get(`/api/v1/audit-events?staffId=${admin.id}&action=mfa.reset`)).json().items;
    expect(events[0]).toMatchObject({ actor: { type: 'staff', id: otherAdmin.id }, reason: 'admin lost their phone' });
    expect(events[0].verification).toMatchObject({ method: 'callback' });
    const mail = await t.mail.waitFor(admin.email, 'Your two-step verification was reset');

    // The password alone never enrolls: only the setup link from the email leads on.
    const c = t.client();
    const login = await c.post('/api/v1/staff-auth/login', { email: admin.email, password: PASSWORD });
    expect(login.json()).toMatchObject({ state: 'mfa_required', methods: ['setup_link', 'temporary_code'] });
    expect((await c.post('/api/v1/staff-me/mfa/totp')).statusCode).toBe(401);
    expect((await c.get('/api/v1/staff')).statusCode).toBe(401);
    expect((await c.post('/api/v1/staff-auth/setup-link', { token: MailSink.token(mail, '/admin/setup-mfa') })).json().state).toBe('enrollment_required');
    expect((await c.get('/api/v1/staff')).json().code).toBe('enrollment_required');
    const start = await c.post('/api/v1/staff-me/mfa/totp');
    const secret = secretFromBase32(start.json().secret);
    nextStep(t);
    const done = await c.post(`/api/v1/staff-me/mfa/totp/${start.json().factorId}/confirm`, { code: codeFor(t, secret) });
    expect(done.statusCode, done.body).toBe(200);
    expect((await c.get('/api/v1/staff')).statusCode).toBe(200);
    admin = { ...admin, client: c, secret, async stepUp() { nextStep(t); expect((await c.post('/api/v1/staff-auth/step-up', { method: 'totp', code: codeFor(t, secret) })).statusCode).toBe(200); } };
  });

  it('a temporary code for a staff member opens an enrollment-only sign-in, and their old factor goes at enrollment', async () => {
    const target = await staffWithMFA(t, 'supervisor');
    await admin.stepUp();
    const issued = await admin.client.post(`/api/v1/staff/${target.id}/mfa/temporary-codes`, { reason: 'new phone', ttlMinutes: 30 });
    expect(issued.statusCode, issued.body).toBe(201);
    await t.mail.waitFor(target.email, 'A temporary access code was issued');
    const c = t.client();
    expect((await c.post('/api/v1/staff-auth/login', { email: target.email, password: PASSWORD })).json().methods).toContain('temporary_code');
    expect((await c.post('/api/v1/staff-auth/mfa/verify', { method: 'temporary_code', code: issued.json().code })).json().state).toBe('enrollment_required');
    expect((await c.get('/api/v1/contacts')).json().code).toBe('enrollment_required');
    const start = await c.post('/api/v1/staff-me/mfa/totp');
    nextStep(t);
    await c.post(`/api/v1/staff-me/mfa/totp/${start.json().factorId}/confirm`, { code: codeFor(t, secretFromBase32(start.json().secret)), name: 'New phone' });
    expect((await c.get('/api/v1/staff-me/mfa')).json().factors.map((f: { name: string }) => f.name)).toEqual(['New phone']);
    // The old authenticator no longer signs in.
    const old = t.client();
    await old.post('/api/v1/staff-auth/login', { email: target.email, password: PASSWORD });
    nextStep(t);
    expect((await old.post('/api/v1/staff-auth/mfa/verify', { method: 'totp', code: codeFor(t, target.secret) })).json().code).toBe('invalid_code');
  });

  it('sign out everywhere on a staff member ends their sessions, audited and emailed', async () => {
    const target = await staffWithMFA(t, 'agent');
    const second = await signInWithTOTP(target.email, target.secret);
    await admin.stepUp();
    const r = await admin.client.post(`/api/v1/staff/${target.id}/sessions/revoke`, { reason: 'laptop stolen' });
    expect(r.json()).toEqual({ sessionsRevoked: 2 });
    for (const c of [target.client, second]) expect((await c.get('/api/v1/tickets')).statusCode).toBe(401);
    await t.mail.waitFor(target.email, 'You were signed out everywhere');
    const events = (await admin.client.get(`/api/v1/audit-events?staffId=${target.id}&action=sessions.revoked_by_staff`)).json().items;
    expect(events[0]).toMatchObject({ reason: 'laptop stolen', actor: { type: 'staff', id: admin.id } });
  });
});
