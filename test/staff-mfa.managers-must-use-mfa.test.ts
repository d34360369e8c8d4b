import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff, createTestApp, signInStaff, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, secretFromBase32, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { MailSink } from './helpers/mail-sink.js';
import { createAPIToken } from '../src/sessions/api-tokens.js';
import type { Client } from './helpers/client.js';

// PRODUCT.md §1: staff who may change anyone's MFA (supervisors, admins) must themselves use
// MFA. A supervisor or admin without a factor never holds a console session that can do
// anything but set one up: not after signing in, not after a promotion, not after an admin
// took their last factor away.

let t: TestApp;
let admin: StaffWithMFA;
let contactID: string;

/** Console calls a supervisor/admin without MFA must not get through (beyond enrolling). */
const CONSOLE_CALLS = (id: string): Array<[string, string, Record<string, unknown> | undefined]> => [
  ['GET', '/api/v1/contacts', undefined],
  ['GET', `/api/v1/contacts/${id}/mfa`, undefined],
  ['POST', `/api/v1/contacts/${id}/mfa/reset`, { reason: 'r' }],
  ['POST', `/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'r' }],
  ['POST', `/api/v1/contacts/${id}/sessions/revoke`, { reason: 'r' }],
  ['POST', `/api/v1/contacts/${id}/identity-checks`, {}],
  ['GET', '/api/v1/pending-actions', undefined],
  ['GET', '/api/v1/tickets', undefined],
  ['GET', '/api/v1/audit-events', undefined],
  ['GET', '/api/v1/staff', undefined],
  ['PUT', '/api/v1/settings/mfa', { policy: 'required', reason: 'r' }],
  ['POST', '/api/v1/mfa/bulk-resets', { filter: { all: true }, reason: 'r', dryRun: true }],
];

async function expectNothingButEnrollment(c: Client, label: string): Promise<void> {
  for (const [method, url, body] of CONSOLE_CALLS(contactID)) {
    const r = await c.request(method, url, body);
    expect(r.statusCode, `${label}: ${method} ${url} ${r.body}`).toBe(403);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.json().code, `${label}: ${method} ${url}`).toBe('enrollment_required');
  }
}

beforeAll(async () => {
  t = await createTestApp();
  admin = await staffWithMFA(t, 'admin');
  const c = await signUpContact(t);
  contactID = c.id;
  await enrollTOTP(t, c.client);
});
afterAll(async () => {
  await t.close();
});

describe('a supervisor or admin without MFA', () => {
  it('is sent to enrollment at sign-in and can call nothing else until a factor is set up', async () => {
    for (const role of ['supervisor', 'admin'] as const) {
      const s = await createStaff(t, role);
      const c = await signInStaff(t, s.email);
      expect((await c.get('/api/v1/staff-auth/session')).json().state).toBe('enrollment_required');
      await expectNothingButEnrollment(c, role);
      // Setting up a factor is what it can do, and then everything its role allows.
      await enrollTOTP(t, c, 'staff');
      expect((await c.get('/api/v1/staff-auth/session')).json().state).toBe('authenticated');
      expect((await c.get(`/api/v1/contacts/${contactID}/mfa`)).statusCode).toBe(200);
    }
  });

  it('loses nothing by an API token: it works, as a token never depends on its owner\'s second step', async () => {
    // Decision: a token is made by an admin after a step-up (or by the operator) and is used
    // without any second step whoever owns it; a password alone can never mint one.
    const s = await createStaff(t, 'supervisor');
    const { token } = await createAPIToken(t.ctx, { type: 'staff', id: admin.id }, s, { name: 'sync', scopes: ['contacts:read'], expiresInDays: 1 }, { ip: null, userAgent: null });
    expect((await t.client().get('/api/v1/contacts', { authorization: `Bearer ${token}` })).statusCode).toBe(200);
  });
});

describe('an agent promoted to supervisor while signed in', () => {
  it('without MFA: the session that never used MFA cannot manage MFA; the next sign-in asks for a setup', async () => {
    const agent = await createStaff(t, 'agent');
    const c = await signInStaff(t, agent.email);
    expect((await c.get('/api/v1/staff-auth/session')).json().state).toBe('authenticated');
    await admin.stepUp();
    const promoted = await admin.client.patch(`/api/v1/staff/${agent.id}`, { role: 'supervisor' });
    expect(promoted.statusCode, promoted.body).toBe(200);
    // The old full session must not carry MFA-management rights without MFA.
    const reset = await c.post(`/api/v1/contacts/${contactID}/mfa/reset`, { reason: 'r' });
    expect([401, 403], reset.body).toContain(reset.statusCode);
    const revoke = await c.post(`/api/v1/contacts/${contactID}/sessions/revoke`, { reason: 'r' });
    expect([401, 403], revoke.body).toContain(revoke.statusCode);
    const panel = await admin.client.get(`/api/v1/contacts/${contactID}/mfa`);
    expect(panel.json().enrolled).toBe(true);
    // Signed out: the session of an agent is not the session of a supervisor without MFA.
    expect((await c.get('/api/v1/staff-auth/session')).json().state).toBe('anonymous');
    const again = await signInStaff(t, agent.email);
    expect((await again.get('/api/v1/staff-auth/session')).json().state).toBe('enrollment_required');
    await expectNothingButEnrollment(again, 'promoted');
    const row = await t.ctx.db.selectFrom('audit_events').select('details').where('staff_id', '=', agent.id).where('action', '=', 'staff.role_changed').executeTakeFirstOrThrow();
    expect(JSON.parse(row.details!).sessionsRevoked).toBe(1);
  });

  it('without MFA, to admin: the same', async () => {
    const agent = await createStaff(t, 'agent');
    const c = await signInStaff(t, agent.email);
    await admin.stepUp();
    expect((await admin.client.patch(`/api/v1/staff/${agent.id}`, { role: 'admin' })).statusCode).toBe(200);
    const r = await c.get('/api/v1/staff');
    expect(r.statusCode).toBe(401);
    expect((await c.get('/api/v1/staff-auth/session')).json().state).toBe('anonymous');
  });

  it('with MFA: the session that passed the second step keeps going with its new rights', async () => {
    const agent = await staffWithMFA(t, 'agent');
    await admin.stepUp();
    expect((await admin.client.patch(`/api/v1/staff/${agent.id}`, { role: 'supervisor' })).statusCode).toBe(200);
    await agent.stepUp();
    const r = await agent.client.post(`/api/v1/contacts/${contactID}/remembered-devices/revoke`, { reason: 'promoted, with MFA' });
    expect(r.statusCode, r.body).toBe(200);
  });

  it('an agent who removed their own last factor in a session that had passed MFA is signed out when promoted', async () => {
    const agent = await staffWithMFA(t, 'agent');
    await agent.stepUp();
    const factors = (await agent.client.get('/api/v1/staff-me/mfa')).json().factors as Array<{ id: string }>;
    const del = await agent.client.delete(`/api/v1/staff-me/mfa/factors/${factors[0].id}`);
    expect(del.statusCode, del.body).toBe(204);
    await admin.stepUp();
    expect((await admin.client.patch(`/api/v1/staff/${agent.id}`, { role: 'supervisor' })).statusCode).toBe(200);
    const r = await agent.client.post(`/api/v1/contacts/${contactID}/sessions/revoke`, { reason: 'r' });
    expect(r.statusCode, r.body).toBe(401);
  });

  it('demotion or a change that keeps no-MFA staff an agent ends no session', async () => {
    const agent = await createStaff(t, 'agent');
    const c = await signInStaff(t, agent.email);
    const sup = await staffWithMFA(t, 'supervisor');
    await admin.stepUp();
    expect((await admin.client.patch(`/api/v1/staff/${sup.id}`, { role: 'agent' })).statusCode).toBe(200);
    expect((await admin.client.patch(`/api/v1/staff/${agent.id}`, { role: 'agent' })).statusCode).toBe(200);
    expect((await c.get('/api/v1/tickets')).statusCode).toBe(200);
    expect((await sup.client.get('/api/v1/tickets')).statusCode).toBe(200);
  });
});

describe('a supervisor whose last factor an admin removes', () => {
  it('is signed out everywhere, even when the admin asked to keep the sessions, and must set up MFA again', async () => {
    const sup = await staffWithMFA(t, 'supervisor');
    const factorId = (await admin.client.get(`/api/v1/staff/${sup.id}/mfa`)).json().factors[0].id;
    await admin.stepUp();
    const r = await admin.client.delete(`/api/v1/staff/${sup.id}/mfa/factors/${factorId}`, { reason: 'lost phone', revokeSessions: false });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().sessionsRevoked).toBeGreaterThanOrEqual(1);
    expect((await sup.client.post(`/api/v1/contacts/${contactID}/sessions/revoke`, { reason: 'r' })).statusCode).toBe(401);
    const login = await t.client().post('/api/v1/staff-auth/login', { email: sup.email, password: 'correct horse battery' });
    expect(login.json()).toMatchObject({ state: 'mfa_required', methods: ['setup_link', 'temporary_code'] });
    // The emailed setup link leads to enrollment, and only there.
    const c = t.client();
    await c.post('/api/v1/staff-auth/login', { email: sup.email, password: 'correct horse battery' });
    const mail = await t.mail.waitFor(sup.email, 'Your two-step verification was reset');
    const setup = await c.post('/api/v1/staff-auth/setup-link', { token: MailSink.token(mail, '/admin/setup-mfa') });
    expect(setup.json().state).toBe('enrollment_required');
    await expectNothingButEnrollment(c, 'after setup link');
    const start = await c.post('/api/v1/staff-me/mfa/totp');
    nextStep(t);
    const ok = await c.post(`/api/v1/staff-me/mfa/totp/${start.json().factorId}/confirm`, { code: codeFor(t, secretFromBase32(start.json().secret)) });
    expect(ok.json().state ?? 'authenticated').toBe('authenticated');
    expect((await c.get('/api/v1/staff-auth/session')).json().state).toBe('authenticated');
  });

  it('cannot remove their own last factor themselves', async () => {
    const sup = await staffWithMFA(t, 'supervisor');
    await sup.stepUp();
    const factors = (await sup.client.get('/api/v1/staff-me/mfa')).json().factors as Array<{ id: string }>;
    const del = await sup.client.delete(`/api/v1/staff-me/mfa/factors/${factors[0].id}`);
    expect(del.statusCode, del.body).toBeGreaterThanOrEqual(400);
    expect(del.statusCode).toBeLessThan(500);
    expect((await sup.client.get('/api/v1/staff-me/mfa')).json().factors).toHaveLength(1);
  });
});
