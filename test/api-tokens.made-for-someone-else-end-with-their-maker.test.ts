import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// PRODUCT.md §2: deactivating a staff member ends their sessions and revokes their API tokens.
// An admin may make a token in a colleague's name; that token must not outlive the authority
// of the admin who made it, or a deactivated or demoted admin keeps acting as one through it
// (and the audit log would name only the colleague's token).

let t: TestApp;
let other: StaffWithMFA;
let boss: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  other = await staffWithMFA(t, 'admin');
  boss = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

const get = (token: string, url: string) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

async function tokenInOthersName(maker: StaffWithMFA): Promise<{ id: string; token: string }> {
  await maker.stepUp();
  const r = await maker.client.post('/api/v1/api-tokens', { name: 'made for a colleague', scopes: ['staff:manage', 'contacts:read'], staffId: other.id });
  expect(r.statusCode, r.body).toBe(201);
  return r.json();
}

async function change(maker: StaffWithMFA, body: object) {
  await boss.stepUp();
  const r = await boss.client.patch(`/api/v1/staff/${maker.id}`, body);
  expect(r.statusCode, r.body).toBe(200);
}

describe('a token made in a colleague\'s name', () => {
  it('holds only what its maker\'s current role allows: demoting the maker cuts it down', async () => {
    const maker = await staffWithMFA(t, 'admin');
    const { token } = await tokenInOthersName(maker);
    expect((await get(token, '/api/v1/staff')).statusCode).toBe(200);
    await change(maker, { role: 'supervisor' });
    const cut = await get(token, '/api/v1/staff');
    expect(cut.statusCode).toBe(403);
    expect(String(cut.headers['content-type'])).toContain('application/problem+json');
    // What a supervisor may still do, it still does.
    expect((await get(token, '/api/v1/contacts')).statusCode).toBe(200);
  });

  it('is revoked when its maker is deactivated, and reactivation does not bring it back', async () => {
    const maker = await staffWithMFA(t, 'admin');
    const { id, token } = await tokenInOthersName(maker);
    expect((await get(token, '/api/v1/contacts')).statusCode).toBe(200);
    await change(maker, { active: false });
    const dead = await get(token, '/api/v1/contacts');
    expect(dead.statusCode).toBe(401);
    expect(String(dead.headers['content-type'])).toContain('application/problem+json');
    expect((await t.ctx.db.selectFrom('api_tokens').select('revoked_at').where('id', '=', id).executeTakeFirstOrThrow()).revoked_at).not.toBeNull();
    await change(maker, { active: true });
    expect((await get(token, '/api/v1/contacts')).statusCode).toBe(401);
    // The colleague's own standing is untouched.
    expect((await other.client.get('/api/v1/contacts')).statusCode).toBe(200);
  });
});
