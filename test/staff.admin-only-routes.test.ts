import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff, createTestApp, PASSWORD, signInStaff, type TestApp } from './helpers/app.js';
import { countRows, staffWithRole } from './helpers/staff-session.js';
import { MailSink } from './helpers/mail-sink.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('staff administration is for admins only', () => {
  it('answers agents and supervisors 403 forbidden on staff list/invite/patch and settings, changing nothing', async () => {
    const target = await createStaff(t, 'agent');
    for (const role of ['agent', 'supervisor'] as const) {
      const { client } = await staffWithRole(t, role);
      const before = { staff: await countRows(t, 'staff'), audit: await countRows(t, 'audit_events') };
      const calls: Array<[string, string, unknown?]> = [
        ['GET', '/api/v1/staff'],
        ['GET', `/api/v1/staff/${target.id}`],
        ['POST', '/api/v1/staff', { email: `new-${role}@example.com`, name: 'New', role: 'admin' }],
        ['PATCH', `/api/v1/staff/${target.id}`, { role: 'admin' }],
        ['PATCH', `/api/v1/staff/${target.id}`, { active: false }],
        ['GET', '/api/v1/settings/general'],
        ['PUT', '/api/v1/settings/general', { allowSignup: false }],
      ];
      for (const [method, url, body] of calls) {
        const r = await client.request(method, url, body);
        expect(r.statusCode, `${role} ${method} ${url}`).toBe(403);
        expect(r.headers['content-type']).toContain('application/problem+json');
        expect(r.json().code).toBe('forbidden');
      }
      expect({ staff: await countRows(t, 'staff'), audit: await countRows(t, 'audit_events') }).toEqual(before);
      expect((await t.ctx.db.selectFrom('staff').select(['role', 'active']).where('id', '=', target.id).executeTakeFirstOrThrow())).toEqual({ role: 'agent', active: 1 });
    }
    // Customers and anonymous visitors are not staff at all.
    const anon = t.client();
    expect((await anon.get('/api/v1/staff')).statusCode).toBe(401);
    expect((await anon.put('/api/v1/settings/general', { allowSignup: false })).json().code).toBe('unauthenticated');
  });

  it('lets an admin list, invite (the invitee sets a password and signs in) and change roles', async () => {
    const admin = await staffWithRole(t, 'admin');
    const email = `invitee-${Date.now()}@example.com`;
    const invited = await admin.client.post('/api/v1/staff', { email, name: 'Ivy Invitee', role: 'agent' });
    expect(invited.statusCode).toBe(201);
    expect(invited.json()).toMatchObject({ email, role: 'agent', active: true, invited: true });
    const dup = await admin.client.post('/api/v1/staff', { email: email.toUpperCase(), name: 'Again', role: 'agent' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('conflict');
    expect((await admin.client.get('/api/v1/staff')).json().items.some((s: { email: string }) => s.email === email)).toBe(true);

    const msg = await t.mail.waitFor(email, 'invited to the help desk console');
    const token = MailSink.token(msg, '/admin/invitation');
    const c = t.client();
    // The invitation cannot be used as a customer's.
    expect((await c.post('/api/v1/auth/invitations/accept', { token, password: PASSWORD })).json().code).toBe('invalid_token');
    expect((await c.post('/api/v1/staff-auth/invitations/lookup', { token })).json()).toEqual({ email, name: 'Ivy Invitee', firstAdmin: false });
    expect((await c.post('/api/v1/staff-auth/invitations/accept', { token, password: PASSWORD, name: 'Ivy I.' })).statusCode).toBe(200);
    expect((await c.post('/api/v1/staff-auth/invitations/accept', { token, password: 'other password' })).json().code).toBe('invalid_token');
    expect((await c.post('/api/v1/staff-auth/login', { email, password: PASSWORD })).json().state).toBe('authenticated');
    expect((await c.get('/api/v1/staff-me')).json()).toMatchObject({ email, name: 'Ivy I.', role: 'agent' });

    const id = invited.json().id;
    const promoted = await admin.client.patch(`/api/v1/staff/${id}`, { role: 'supervisor' });
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json().role).toBe('supervisor');
    const self = await admin.client.patch(`/api/v1/staff/${admin.account.id}`, { role: 'agent' });
    expect(self.statusCode).toBe(403);
    expect(self.json().code).toBe('forbidden');
  });

  it('an expired staff invitation no longer works', async () => {
    const admin = await staffWithRole(t, 'admin');
    const email = `late-${Date.now()}@example.com`;
    await admin.client.post('/api/v1/staff', { email, name: 'Late', role: 'agent' });
    const token = MailSink.token(await t.mail.waitFor(email, 'invited'), '/admin/invitation');
    t.clock.advance(7 * 24 * 3600_000 + 1000);
    const r = await t.client().post('/api/v1/staff-auth/invitations/accept', { token, password: PASSWORD });
    expect(r.statusCode).toBe(400);
    expect(r.json().code).toBe('invalid_token');
  });

  it('deactivating a staff member ends their sessions and their password stops working', async () => {
    const admin = await staffWithRole(t, 'admin');
    const agent = await createStaff(t, 'agent');
    const a1 = await signInStaff(t, agent.email);
    const a2 = await signInStaff(t, agent.email);
    expect((await a1.get('/api/v1/staff-auth/session')).json().state).toBe('authenticated');
    const r = await admin.client.patch(`/api/v1/staff/${agent.id}`, { active: false });
    expect(r.statusCode).toBe(200);
    expect(r.json().active).toBe(false);
    for (const c of [a1, a2]) {
      expect((await c.get('/api/v1/staff-auth/session')).json().state).toBe('anonymous');
      expect((await c.get('/api/v1/tickets')).statusCode).toBe(401);
    }
    const again = await t.client().post('/api/v1/staff-auth/login', { email: agent.email, password: PASSWORD });
    expect(again.statusCode).toBe(401);
    expect(again.json().code).toBe('invalid_credentials');
    const row = await t.ctx.db.selectFrom('audit_events').select(['action', 'details']).where('staff_id', '=', agent.id).where('action', '=', 'staff.deactivated').executeTakeFirstOrThrow();
    expect(JSON.parse(row.details!).sessionsRevoked).toBe(2);
  });

  it('the last active admin cannot be demoted or deactivated, even by two admins at once', async () => {
    // Start from exactly two active admins.
    await t.ctx.db.updateTable('staff').set({ active: 0 }).where('role', '=', 'admin').execute();
    const a = await staffWithRole(t, 'admin');
    const b = await staffWithRole(t, 'admin');
    // Each demotes the other at the same moment: one must lose.
    const [ra, rb] = await Promise.all([
      a.client.patch(`/api/v1/staff/${b.account.id}`, { role: 'agent' }),
      b.client.patch(`/api/v1/staff/${a.account.id}`, { active: false }),
    ]);
    // Whichever runs second finds either that its actor is no longer an admin (403) or that
    // its target is the last admin (409); never may both succeed.
    const loser = [ra, rb].find((r) => r.statusCode !== 200)!;
    expect([ra.statusCode, rb.statusCode].filter((s) => s === 200)).toHaveLength(1);
    expect([403, 409]).toContain(loser.statusCode);
    expect(['forbidden', 'conflict']).toContain(loser.json().code);
    const admins = await t.ctx.db.selectFrom('staff').select('id').where('role', '=', 'admin').where('active', '=', 1).execute();
    expect(admins).toHaveLength(1);
    // The one admin left cannot demote themselves either.
    const last = [a, b].find((x) => x.account.id === admins[0].id)!;
    const self = await last.client.patch(`/api/v1/staff/${last.account.id}`, { active: false });
    expect(self.statusCode).toBe(403);
    expect(await t.ctx.db.selectFrom('staff').select('id').where('role', '=', 'admin').where('active', '=', 1).execute()).toHaveLength(1);
  });
});
