import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { staffWithRole } from './helpers/staff-session.js';
import { MailSink } from './helpers/mail-sink.js';
import type { Client } from './helpers/client.js';
import { issueEmailToken } from '../src/accounts/email-tokens.js';
import { HOUR } from '../src/clock.js';

// Accepting an invitation (customers and staff, and the first admin's setup link) and setting a
// password from a reset link are anonymous. Each hashes the new password with argon2id (~13 ms
// of CPU and 19 MiB of memory). Hashed before the token was looked up, every made-up token cost
// that much: a flood of them was a cheap denial of service. The token is looked up first now,
// and only a live one costs a hash; using it up in the transaction still decides single use.
//
// The password module is wrapped to count the hashes made; everything else is real.
const hashes = vi.hoisted(() => ({ count: 0 }));
vi.mock('../src/crypto/password.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/crypto/password.js')>();
  return {
    ...real,
    hashPassword: (password: string) => {
      hashes.count++;
      return real.hashPassword(password);
    },
  };
});

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const fresh = (p: string) => `${p}-${randomBytes(4).toString('hex')}@example.com`;
const madeUp = () => randomBytes(32).toString('base64url');

async function inviteContact(): Promise<{ email: string; token: string }> {
  const agent = await staffWithRole(t, 'agent');
  const email = fresh('invited');
  expect((await agent.client.post('/api/v1/contacts', { email, name: 'Ina Vited' })).statusCode).toBe(201);
  return { email, token: MailSink.token(await t.mail.waitFor(email, 'invited to the help center'), '/invitation') };
}

async function inviteStaff(): Promise<{ email: string; token: string }> {
  const admin = await staffWithRole(t, 'admin');
  const email = fresh('new-agent');
  const r = await admin.client.post('/api/v1/staff', { email, name: 'New Agent', role: 'agent' });
  expect(r.statusCode, r.body).toBe(201);
  return { email, token: MailSink.token(await t.mail.waitFor(email, 'invited'), '/admin/invitation') };
}

async function resetToken(email: string): Promise<string> {
  expect((await t.client().post('/api/v1/auth/password/forgot', { email })).statusCode).toBe(202);
  return MailSink.token(await t.mail.waitFor(email, 'Reset your password'), '/reset-password');
}

async function expectInvalidToken(c: Client, path: string, body: Record<string, unknown>) {
  const r = await c.post(path, body);
  expect(r.statusCode, `${path}: ${r.body}`).toBe(400);
  expect(String(r.headers['content-type'])).toContain('application/problem+json');
  expect(r.json().code).toBe('invalid_token');
}

describe('a made-up, spent or misdirected token costs no password hash', () => {
  it('invitation accept (customer and staff) and password reset refuse made-up tokens without hashing', async () => {
    const c = t.client();
    hashes.count = 0;
    for (let i = 0; i < 5; i++) {
      await expectInvalidToken(c, '/api/v1/auth/invitations/accept', { token: madeUp(), password: 'a long new password' });
      await expectInvalidToken(c, '/api/v1/staff-auth/invitations/accept', { token: madeUp(), password: 'a long new password', email: fresh('x') });
      await expectInvalidToken(c, '/api/v1/auth/password/reset', { token: madeUp(), password: 'a long new password' });
      await expectInvalidToken(c, '/api/v1/staff-auth/password/reset', { token: madeUp(), password: 'a long new password' });
    }
    // Too short to be a token at all.
    await expectInvalidToken(c, '/api/v1/auth/invitations/accept', { token: 'x', password: 'a long new password' });
    await expectInvalidToken(c, '/api/v1/auth/password/reset', { token: 'x', password: 'a long new password' });
    expect(hashes.count).toBe(0);
  });

  it('spent, expired and misdirected tokens are refused without hashing too', async () => {
    const contact = await inviteContact();
    const staff = await inviteStaff();
    const { email: customer } = await signUpContact(t);
    const reset = await resetToken(customer);
    const c = t.client();

    hashes.count = 0;
    // A customer's invitation at the staff door, a staff invitation at the customer door, a
    // reset link at the invitation door and the other way round.
    await expectInvalidToken(c, '/api/v1/staff-auth/invitations/accept', { token: contact.token, password: 'a long new password' });
    await expectInvalidToken(c, '/api/v1/auth/invitations/accept', { token: staff.token, password: 'a long new password' });
    await expectInvalidToken(c, '/api/v1/auth/invitations/accept', { token: reset, password: 'a long new password' });
    await expectInvalidToken(c, '/api/v1/auth/password/reset', { token: contact.token, password: 'a long new password' });
    await expectInvalidToken(c, '/api/v1/staff-auth/password/reset', { token: reset, password: 'a long new password' });
    expect(hashes.count).toBe(0);

    // Each used once (one hash each), then spent.
    expect((await c.post('/api/v1/auth/invitations/accept', { token: contact.token, password: PASSWORD })).json()).toEqual({ accepted: true, email: contact.email });
    expect((await c.post('/api/v1/staff-auth/invitations/accept', { token: staff.token, password: PASSWORD })).json()).toEqual({ accepted: true, email: staff.email });
    expect((await c.post('/api/v1/auth/password/reset', { token: reset, password: 'the reset password' })).json()).toEqual({ reset: true });
    expect(hashes.count).toBe(3);
    hashes.count = 0;
    await expectInvalidToken(c, '/api/v1/auth/invitations/accept', { token: contact.token, password: 'a second password' });
    await expectInvalidToken(c, '/api/v1/staff-auth/invitations/accept', { token: staff.token, password: 'a second password' });
    await expectInvalidToken(c, '/api/v1/auth/password/reset', { token: reset, password: 'a second password' });

    // Expired: a reset link after its hour.
    const late = await resetToken(customer);
    t.clock.advance(HOUR + 1000);
    await expectInvalidToken(c, '/api/v1/auth/password/reset', { token: late, password: 'a long new password' });
    expect(hashes.count).toBe(0);

    // Nothing of that changed a password.
    expect((await t.client().post('/api/v1/auth/login', { email: contact.email, password: PASSWORD })).statusCode).toBe(200);
    expect((await t.client().post('/api/v1/auth/login', { email: customer, password: 'the reset password' })).statusCode).toBe(200);
  });

  it('a live invitation used by several requests at once still sets the password exactly once', async () => {
    const { email, token } = await inviteContact();
    const clients = Array.from({ length: 8 }, () => t.client());
    for (const c of clients) await c.get('/api/v1/auth/session');
    const results = await Promise.all(clients.map((c, i) => c.post('/api/v1/auth/invitations/accept', { token, password: `invited password ${i}` })));
    const winners = results.flatMap((r, i) => (r.statusCode === 200 ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) if (r.statusCode !== 200) expect(r.json().code).toBe('invalid_token');
    expect((await t.client().post('/api/v1/auth/login', { email, password: `invited password ${winners[0]}` })).statusCode).toBe(200);
    expect((await t.client().post('/api/v1/auth/login', { email, password: `invited password ${(winners[0] + 1) % 8}` })).statusCode).toBe(401);
    const accepted = await t.ctx.db.selectFrom('audit_events').select('id').where('action', '=', 'auth.invitation.accepted').execute();
    expect(accepted.length).toBeGreaterThanOrEqual(1);
  });

  it('the first admin’s setup link is looked up before hashing as well', async () => {
    // Issued the way `portico serve` issues it, for an admin without a password.
    const admin = await staffWithRole(t, 'admin');
    await t.ctx.db.updateTable('staff').set({ password_hash: null }).where('id', '=', admin.account.id).execute();
    const token = await issueEmailToken(t.ctx, t.ctx.db, 'admin_setup', 'staff', admin.account.id, HOUR);
    hashes.count = 0;
    await expectInvalidToken(t.client(), '/api/v1/auth/invitations/accept', { token, password: 'a long admin password' });
    expect(hashes.count).toBe(0);
    const email = fresh('boss');
    const ok = await t.client().post('/api/v1/staff-auth/invitations/accept', { token, password: 'a long admin password', email });
    expect(ok.json()).toEqual({ accepted: true, email });
    expect(hashes.count).toBe(1);
  });
});
