import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// PRODUCT.md §5: each audit entry names its actor — a contact, staff, an API token or the CLI.
// A role change or deactivation made with an API token is the token's doing, not a browser
// session's; and a token someone made for another admin is not a way to change their own role.

let t: TestApp;
let a: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  a = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

async function tokenFor(owner: { id: string }, scopes: string[]): Promise<{ id: string; token: string }> {
  await a.stepUp();
  const r = await a.client.post('/api/v1/api-tokens', { name: `for ${owner.id}`, scopes, staffId: owner.id });
  expect(r.statusCode, r.body).toBe(201);
  return { id: r.json().id, token: r.json().token };
}

const patch = (token: string, id: string, body: object) =>
  t.app.inject({ method: 'PATCH', url: `/api/v1/staff/${id}`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });

async function lastEntry(staffID: string, action: string) {
  const r = await a.client.get(`/api/v1/audit-events?staffId=${staffID}&action=${action}`);
  expect(r.statusCode, r.body).toBe(200);
  return r.json().items[0];
}

describe('staff changes made with an API token', () => {
  it('name the token as the actor of the role change and of the deactivation', async () => {
    const target = await staffWithMFA(t, 'agent');
    const { id: tokenID, token } = await tokenFor(a, ['staff:manage']);

    const promoted = await patch(token, target.id, { role: 'supervisor' });
    expect(promoted.statusCode, promoted.body).toBe(200);
    expect((await lastEntry(target.id, 'staff.role_changed')).actor).toEqual({ type: 'token', id: tokenID });

    const deactivated = await patch(token, target.id, { active: false });
    expect(deactivated.statusCode, deactivated.body).toBe(200);
    expect((await lastEntry(target.id, 'staff.deactivated')).actor).toEqual({ type: 'token', id: tokenID });
  });

  it('name the staff member when the change comes from their browser session', async () => {
    const target = await staffWithMFA(t, 'agent');
    await a.stepUp();
    const r = await a.client.patch(`/api/v1/staff/${target.id}`, { role: 'supervisor' });
    expect(r.statusCode, r.body).toBe(200);
    expect((await lastEntry(target.id, 'staff.role_changed')).actor).toEqual({ type: 'staff', id: a.id });
  });

  it('refuse a token made for another admin when its creator targets themselves, and change nothing', async () => {
    const b = await staffWithMFA(t, 'admin');
    const { token } = await tokenFor(b, ['staff:manage']);
    const r = await patch(token, a.id, { role: 'agent' });
    expect(r.statusCode, r.body).toBe(403);
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(r.json().code).toBe('forbidden');
    const me = (await a.client.get('/api/v1/staff?limit=200')).json().items.find((s: { id: string }) => s.id === a.id);
    expect(me.role).toBe('admin');
  });
});
