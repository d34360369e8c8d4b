import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff, createTestApp, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// Whoever holds an admin's console cookie alone (stolen from a browser, a shared machine) must
// not be able to grant console access: inviting staff, changing a role or reactivating, and the
// help center's general settings need the admin's own second step within 5 minutes, as API
// tokens and the MFA settings already do. API tokens never step up (API.md).

let t: TestApp;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

describe('staff management and general settings', () => {
  it('need a step-up within the last 5 minutes over a session', async () => {
    const agent = await createStaff(t, 'agent');
    t.clock.advance(6 * 60_000);
    const before = await t.ctx.db.selectFrom('staff').select(['id', 'role']).execute();
    for (const [method, url, body] of [
      ['POST', '/api/v1/staff', { email: `mallory-${Date.now()}@example.com`, name: 'Mallory', role: 'admin' }],
      ['PATCH', `/api/v1/staff/${agent.id}`, { role: 'admin' }],
      ['PATCH', `/api/v1/staff/${agent.id}`, { active: false }],
      ['PUT', '/api/v1/settings/general', { allowSignup: false }],
    ] as const) {
      const r = await admin.client.request(method, url, body);
      expect(r.statusCode, `${method} ${url}`).toBe(403);
      expect(r.json().code).toBe('step_up_required');
    }
    expect(await t.ctx.db.selectFrom('staff').select(['id', 'role']).execute()).toEqual(before);

    await admin.stepUp();
    const promoted = await admin.client.patch(`/api/v1/staff/${agent.id}`, { role: 'supervisor' });
    expect(promoted.statusCode, promoted.body).toBe(200);
    expect(promoted.json().role).toBe('supervisor');
    expect((await admin.client.post('/api/v1/staff', { email: `new-${Date.now()}@example.com`, name: 'New Agent', role: 'agent' })).statusCode).toBe(201);
    expect((await admin.client.put('/api/v1/settings/general', { allowSignup: true, reason: 'test' })).statusCode).toBe(200);
  });

  it('an admin API token with staff:manage needs no step-up', async () => {
    await admin.stepUp();
    const token = (await admin.client.post('/api/v1/api-tokens', { name: 'provisioning', scopes: ['staff:manage'] })).json().token as string;
    t.clock.advance(6 * 60_000);
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/v1/staff',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ email: `provisioned-${Date.now()}@example.com`, name: 'Provisioned', role: 'agent' }),
    });
    expect(r.statusCode, r.body).toBe(201);
  });
});
