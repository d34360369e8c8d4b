import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import type { Client } from './helpers/client.js';
import { staffWithRole } from './helpers/staff-session.js';

let t: TestApp;
let agent: StaffWithMFA;
let sup: StaffWithMFA;
let admin: StaffWithMFA;
let contactID: string;
let contactClient: Client;

const ACTIONS = (id: string): Array<[string, string, Record<string, unknown>]> => [
  ['POST', `/api/v1/contacts/${id}/mfa/reset`, { reason: 'r' }],
  ['POST', `/api/v1/contacts/${id}/mfa/require-enrollment`, { reason: 'r' }],
  ['POST', `/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'r' }],
  ['POST', `/api/v1/contacts/${id}/mfa/unlock`, { reason: 'r' }],
  ['POST', `/api/v1/contacts/${id}/sessions/revoke`, { reason: 'r' }],
  ['POST', `/api/v1/contacts/${id}/remembered-devices/revoke`, { reason: 'r' }],
  ['POST', `/api/v1/contacts/${id}/identity-checks`, {}],
  ['POST', `/api/v1/contacts/${id}/identity-checks/chk_x/confirm`, { code: '123456' }],
  ['DELETE', `/api/v1/contacts/${id}/mfa/factors/fa_x`, { reason: 'r' }],
];

beforeAll(async () => {
  t = await createTestApp();
  agent = await staffWithMFA(t, 'agent');
  sup = await staffWithMFA(t, 'supervisor');
  admin = await staffWithMFA(t, 'admin');
  const c = await signUpContact(t);
  contactID = c.id;
  contactClient = c.client;
  await enrollTOTP(t, c.client);
});
afterAll(async () => {
  await t.close();
});

describe('who may run the toolkit', () => {
  it('agents see the Security panel but every action is 403', async () => {
    expect((await agent.client.get(`/api/v1/contacts/${contactID}/mfa`)).statusCode).toBe(200);
    await agent.stepUp();
    for (const [method, url, body] of ACTIONS(contactID)) {
      const r = await agent.client.request(method, url, body);
      expect(r.statusCode, `${method} ${url}`).toBe(403);
      expect(r.json().code).toBe('forbidden');
    }
  });

  it('agents cannot list pending MFA actions (their targets and reasons) either', async () => {
    await agent.stepUp();
    for (const url of ['/api/v1/pending-actions', '/api/v1/pending-actions?status=pending', `/api/v1/pending-actions?contactId=${contactID}`]) {
      const r = await agent.client.get(url);
      expect(r.statusCode, url).toBe(403);
      expect(r.headers['content-type']).toContain('application/problem+json');
      expect(r.json().code).toBe('forbidden');
    }
    expect((await contactClient.get('/api/v1/pending-actions')).statusCode).toBe(401);
    const supervisor = await staffWithRole(t, 'supervisor');
    expect((await supervisor.client.get('/api/v1/pending-actions')).statusCode).toBe(200);
  });

  it('supervisors need a step-up within the last 5 minutes', async () => {
    t.clock.advance(6 * 60_000);
    for (const [method, url, body] of ACTIONS(contactID)) {
      const r = await sup.client.request(method, url, body);
      expect(r.statusCode, `${method} ${url}`).toBe(403);
      expect(r.json().code, `${method} ${url}`).toBe('step_up_required');
    }
    await sup.stepUp();
    expect((await sup.client.post(`/api/v1/contacts/${contactID}/sessions/revoke`, { reason: 'r' })).statusCode).toBe(200);
  });

  it('a customer session cannot call any of it', async () => {
    for (const [method, url, body] of [['GET', `/api/v1/contacts/${contactID}/mfa`, {}] as const, ...ACTIONS(contactID)]) {
      const r = await contactClient.request(method, url, method === 'GET' ? undefined : body);
      expect([401, 403], `${method} ${url}`).toContain(r.statusCode);
    }
  });

  it('staff accounts are for admins only, and nobody acts on their own account', async () => {
    await sup.stepUp();
    const onStaff = await sup.client.post(`/api/v1/staff/${agent.id}/mfa/reset`, { reason: 'r' });
    expect(onStaff.statusCode).toBe(403);
    await admin.stepUp();
    const self = await admin.client.post(`/api/v1/staff/${admin.id}/mfa/reset`, { reason: 'r' });
    expect(self.statusCode).toBe(403);
    expect(self.json().code).toBe('forbidden');
    const other = await admin.client.post(`/api/v1/staff/${agent.id}/mfa/reset`, { reason: 'agent lost phone' });
    expect(other.statusCode, other.body).toBe(200);
    expect(other.json().factorsRemoved).toBe(1);
  });

  it('bad input changes nothing and answers problem+json', async () => {
    await sup.stepUp();
    const cases: Array<[string, unknown]> = [
      [`/api/v1/contacts/${contactID}/mfa/reset`, {}],
      [`/api/v1/contacts/${contactID}/mfa/reset`, { reason: '' }],
      [`/api/v1/contacts/${contactID}/mfa/reset`, { reason: 'x'.repeat(1001) }],
      [`/api/v1/contacts/${contactID}/mfa/reset`, { reason: 'r', requireEnrollment: 'yes' }],
      [`/api/v1/contacts/${contactID}/mfa/reset`, { reason: 'r', verification: { method: 'telepathy' } }],
      [`/api/v1/contacts/${contactID}/mfa/reset`, { reason: 'r', verification: { method: 'email_code' } }],
      [`/api/v1/contacts/${contactID}/mfa/reset`, '{"reason":'],
    ];
    for (const [url, body] of cases) {
      const r = await sup.client.post(url, body as object, typeof body === 'string' ? { 'content-type': 'application/json' } : undefined);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(r.headers['content-type']).toContain('application/problem+json');
    }
    expect((await sup.client.post('/api/v1/contacts/ct_nobody/mfa/reset', { reason: 'r' })).statusCode).toBe(404);
    expect((await sup.client.post('/api/v1/contacts/not-an-id/mfa/reset', { reason: 'r' })).statusCode).toBe(404);
    expect((await sup.client.get(`/api/v1/contacts/${contactID}/mfa`)).json().enrolled).toBe(true);
  });
});

describe('API tokens', () => {
  it('work without CSRF or step-up, limited to their scopes and their owner\'s role', async () => {
    await admin.stepUp();
    const created = await admin.client.post('/api/v1/api-tokens', { name: 'helpdesk bot', scopes: ['contacts:read', 'mfa:manage'] });
    expect(created.statusCode, created.body).toBe(201);
    const { token, id } = created.json();
    expect(token).toMatch(/^pt_/);
    const bearer = { authorization: `Bearer ${token}` };
    const api = t.client();
    expect((await api.get(`/api/v1/contacts/${contactID}/mfa`, bearer)).statusCode).toBe(200);
    // No CSRF token and no step-up needed with a bearer token.
    api.csrf = false;
    const revoke = await api.post(`/api/v1/contacts/${contactID}/sessions/revoke`, { reason: 'via API' }, bearer);
    expect(revoke.statusCode, revoke.body).toBe(200);
    const events = (await admin.client.get(`/api/v1/audit-events?contactId=${contactID}&action=sessions.revoked_by_staff`)).json().items;
    expect(events[0].actor).toEqual({ type: 'token', id });
    // Out of scope.
    expect((await api.get('/api/v1/audit-events', bearer)).statusCode).toBe(403);
    expect((await api.get('/api/v1/audit-events', { authorization: 'Bearer pt_wrong' })).statusCode).toBe(401);
    // Stored only as a hash.
    const row = await t.ctx.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.token_hash).not.toContain(token.slice(3));
    // An admin is emailed.
    await t.mail.waitFor((await admin.client.get('/api/v1/staff-auth/session')).json().staff.email, 'API token "helpdesk bot" created');
  });

  it('lose what their owner\'s role loses, and die with deactivation or revocation', async () => {
    const owner = await staffWithMFA(t, 'admin');
    await owner.stepUp();
    const { token, id } = (await owner.client.post('/api/v1/api-tokens', { name: 'ops', scopes: ['mfa:manage', 'staff:manage'] })).json();
    const bearer = { authorization: `Bearer ${token}` };
    const api = t.client();
    expect((await api.get('/api/v1/staff', bearer)).statusCode).toBe(200);
    await admin.stepUp();
    await admin.client.patch(`/api/v1/staff/${owner.id}`, { role: 'supervisor' });
    expect((await api.get('/api/v1/staff', bearer)).statusCode).toBe(403);
    expect((await api.get(`/api/v1/contacts/${contactID}/mfa`, bearer)).statusCode).toBe(403); // contacts:read was never granted
    await admin.client.patch(`/api/v1/staff/${owner.id}`, { active: false });
    expect((await api.post(`/api/v1/contacts/${contactID}/mfa/unlock`, { reason: 'x' }, bearer)).statusCode).toBe(401);
    const tokens = (await admin.client.get('/api/v1/api-tokens')).json().items;
    expect(tokens.find((x: { id: string }) => x.id === id).revokedAt).toBeTruthy();
  });

  it('are created only from a console session with a step-up, with 1–365 days', async () => {
    t.clock.advance(6 * 60_000);
    expect((await admin.client.post('/api/v1/api-tokens', { name: 'x', scopes: ['contacts:read'] })).json().code).toBe('step_up_required');
    await admin.stepUp();
    for (const body of [{ name: 'x', scopes: [] }, { name: 'x', scopes: ['root'] }, { name: 'x', scopes: ['contacts:read'], expiresInDays: 366 }]) {
      expect((await admin.client.post('/api/v1/api-tokens', body)).statusCode, JSON.stringify(body)).toBe(400);
    }
    const { token } = (await admin.client.post('/api/v1/api-tokens', { name: 'short', scopes: ['staff:manage'], expiresInDays: 1 })).json();
    expect((await t.client().post('/api/v1/api-tokens', { name: 'y', scopes: ['contacts:read'] }, { authorization: `Bearer ${token}` })).statusCode).toBe(403);
    t.clock.advance(86_400_000 + 1000);
    expect((await t.client().get('/api/v1/staff', { authorization: `Bearer ${token}` })).statusCode).toBe(401);
    const sup2 = await staffWithMFA(t, 'supervisor');
    await sup2.stepUp();
    expect((await sup2.client.post('/api/v1/api-tokens', { name: 'x', scopes: ['contacts:read'] })).statusCode).toBe(403);
  });
});
