import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { ensureFirstAdminSetupLink } from '../src/accounts/staff.js';

// PRODUCT.md §7 and API.md (`serve`): on an empty database the first admin gets a setup link
// printed to the console; it is single-use and valid 1 hour. Whoever finds an old console log
// later must not be able to take over the installation with it.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;

describe('the first admin setup link', () => {
  it('stops working after one hour; a new start prints a fresh link that works once', async () => {
    const first = await ensureFirstAdminSetupLink(t.ctx);
    expect(first).toMatch(/\/admin\/setup\?token=/);
    t.clock.advance(60 * 60_000 + 1000);
    const c = t.client();
    const late = await c.post('/api/v1/staff-auth/invitations/accept', { token: tokenOf(first!), password: 'a long admin password', email: 'boss@example.com' });
    expect(late.statusCode).toBe(400);
    expect(late.json().code).toBe('invalid_token');
    expect((await c.post('/api/v1/staff-auth/invitations/lookup', { token: tokenOf(first!) })).json().code).toBe('invalid_token');

    // The next start (no admin has a password yet) prints a new link for the same admin.
    const second = await ensureFirstAdminSetupLink(t.ctx);
    expect(second).not.toBe(first);
    t.clock.advance(59 * 60_000);
    const ok = await c.post('/api/v1/staff-auth/invitations/accept', { token: tokenOf(second!), password: 'a long admin password', email: 'boss@example.com' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toEqual({ accepted: true, email: 'boss@example.com' });
    const again = await t.client().post('/api/v1/staff-auth/invitations/accept', { token: tokenOf(second!), password: 'another password 1', email: 'thief@example.com' });
    expect(again.json().code).toBe('invalid_token');
    // An admin has a password now: no more links, from any start.
    expect(await ensureFirstAdminSetupLink(t.ctx)).toBeNull();
    const staff = await t.ctx.db.selectFrom('staff').select(['email', 'role']).execute();
    expect(staff).toEqual([{ email: 'boss@example.com', role: 'admin' }]);
  });
});
