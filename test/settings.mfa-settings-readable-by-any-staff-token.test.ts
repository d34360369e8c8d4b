import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { staffWithRole } from './helpers/staff-session.js';

/**
 * API.md: GET/PUT `/settings/mfa` [settings:write for PUT]. Reading names no scope, yet GET
 * asked for contacts:read: an admin's token made only to keep the settings in line
 * (settings:write) could change them but not read them back. Any staff token or session
 * reads them; anonymous callers do not.
 */
let t: TestApp;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

async function token(owner: StaffWithMFA | { client: StaffWithMFA['client'] }, scopes: string[]): Promise<string> {
  const r = await owner.client.post('/api/v1/api-tokens', { name: `only ${scopes.join(',')}`, scopes });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().token as string;
}

describe('GET /settings/mfa', () => {
  it('answers a token of any scope, and a settings:write token can read what it writes', async () => {
    await admin.stepUp();
    const settingsOnly = await token(admin, ['settings:write']);
    const ticketsOnly = await token(admin, ['tickets:read']);
    const bearer = (tok: string) => ({ authorization: `Bearer ${tok}` });
    const put = await t.client().put('/api/v1/settings/mfa', { rememberDeviceDays: 12, reason: 'sync' }, bearer(settingsOnly));
    expect(put.statusCode, put.body).toBe(200);
    for (const tok of [settingsOnly, ticketsOnly]) {
      const r = await t.client().get('/api/v1/settings/mfa', bearer(tok));
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json()).toMatchObject({ policy: 'optional', rememberDeviceDays: 12 });
    }
  });

  it('answers every staff session, and no anonymous caller', async () => {
    const agent = await staffWithRole(t, 'agent');
    expect((await agent.client.get('/api/v1/settings/mfa')).statusCode).toBe(200);
    const anonymous = await t.client().get('/api/v1/settings/mfa');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().code).toBe('unauthenticated');
  });
});
