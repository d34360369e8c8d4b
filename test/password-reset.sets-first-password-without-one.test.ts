import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestApp, PASSWORD, type TestApp } from './helpers/app.js';
import { staffWithRole } from './helpers/staff-session.js';
import { MailSink } from './helpers/mail-sink.js';
import { inviteStaff } from '../src/accounts/invitations.js';

// A contact without a password (created by staff without an invitation, or whose invitation
// expired) had no way in: signing up emails "reset your password", and the reset silently sent
// nothing. The emailed reset link proves control of the address, so it sets a first password;
// and, proving the address, it confirms it (as accepting an invitation does).

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const fresh = (p: string) => `${p}-${randomBytes(4).toString('hex')}@example.com`;
const contactRow = (email: string) => t.ctx.db.selectFrom('contacts').select(['id', 'password_hash', 'email_verified_at']).where('email', '=', email).executeTakeFirstOrThrow();

async function resetLink(email: string, kind: 'auth' | 'staff-auth' = 'auth'): Promise<string> {
  expect((await t.client().post(`/api/v1/${kind}/password/forgot`, { email })).statusCode).toBe(202);
  return MailSink.token(await t.mail.waitFor(email, 'Reset your password'), kind === 'auth' ? '/reset-password' : '/admin/reset-password');
}

describe('the emailed reset link sets a first password for a contact without one', () => {
  it('a contact created without an invitation follows the "someone tried to sign up" email to a password and in', async () => {
    const agent = await staffWithRole(t, 'agent');
    const email = fresh('quiet');
    expect((await agent.client.post('/api/v1/contacts', { email, name: 'Quiet Contact', invite: false })).statusCode).toBe(201);
    const c = t.client();
    expect((await c.post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Quiet' })).statusCode).toBe(201);
    const notice = await t.mail.waitFor(email, 'Someone tried to sign up with your email address');
    expect(MailSink.link(notice, '/forgot-password')).toContain('/forgot-password');
    // Sign-up did not set the password.
    expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).statusCode).toBe(401);

    const token = await resetLink(email);
    // Bad input first: a wrong token or a too-short password sets nothing.
    expect((await c.post('/api/v1/auth/password/reset', { token: 'x'.repeat(43), password: 'my first password' })).json().code).toBe('invalid_token');
    const short = await c.post('/api/v1/auth/password/reset', { token, password: 'short' });
    expect(short.statusCode).toBe(400);
    expect((await contactRow(email)).password_hash).toBeNull();

    const r = await c.post('/api/v1/auth/password/reset', { token, password: 'my first password' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ reset: true });
    // It does not sign in; the password does.
    expect((await c.get('/api/v1/auth/session')).json().state).toBe('anonymous');
    const login = await c.post('/api/v1/auth/login', { email, password: 'my first password' });
    expect(login.json().state).toBe('authenticated');
    // The link proved the address.
    expect((await c.get('/api/v1/me')).json()).toMatchObject({ email, emailVerified: true });
    expect((await c.post('/api/v1/me/tickets', { subject: 'Hello', message: 'I am in' })).statusCode).toBe(201);
    // Single use, as ever.
    expect((await t.client().post('/api/v1/auth/password/reset', { token, password: 'a second try' })).json().code).toBe('invalid_token');
  });

  it('a contact whose invitation expired gets in through a reset; one whose invitation is pending cannot use it afterwards', async () => {
    const agent = await staffWithRole(t, 'agent');
    const expired = fresh('expired');
    expect((await agent.client.post('/api/v1/contacts', { email: expired, name: 'Late' })).statusCode).toBe(201);
    const invitation = MailSink.token(await t.mail.waitFor(expired, 'invited to the help center'), '/invitation');
    t.clock.advance(7 * 24 * 3600_000 + 1000);
    expect((await t.client().post('/api/v1/auth/invitations/accept', { token: invitation, password: PASSWORD })).json().code).toBe('invalid_token');
    const token = await resetLink(expired);
    expect((await t.client().post('/api/v1/auth/password/reset', { token, password: 'late but in' })).statusCode).toBe(200);
    expect((await t.client().post('/api/v1/auth/login', { email: expired, password: 'late but in' })).json().state).toBe('authenticated');
    expect((await contactRow(expired)).email_verified_at).not.toBeNull();

    const pending = fresh('pending');
    // A week on, the agent signs in again.
    const again = await staffWithRole(t, 'agent');
    expect((await again.client.post('/api/v1/contacts', { email: pending, name: 'Pending' })).statusCode).toBe(201);
    const live = MailSink.token(await t.mail.waitFor(pending, 'invited to the help center'), '/invitation');
    const reset = await resetLink(pending);
    expect((await t.client().post('/api/v1/auth/password/reset', { token: reset, password: 'chosen by reset' })).statusCode).toBe(200);
    // The invitation can no longer replace the password just chosen.
    expect((await t.client().post('/api/v1/auth/invitations/accept', { token: live, password: 'chosen by invite' })).json().code).toBe('invalid_token');
    expect((await t.client().post('/api/v1/auth/login', { email: pending, password: 'chosen by reset' })).statusCode).toBe(200);
  });

  it('a reset through the emailed link also confirms an unconfirmed address that has a password', async () => {
    const email = fresh('unconfirmed');
    expect((await t.client().post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Unconfirmed' })).statusCode).toBe(201);
    await t.mail.waitFor(email, 'Confirm your email');
    expect((await contactRow(email)).email_verified_at).toBeNull();
    const token = await resetLink(email);
    expect((await t.client().post('/api/v1/auth/password/reset', { token, password: 'reset and confirmed' })).statusCode).toBe(200);
    expect((await contactRow(email)).email_verified_at).not.toBeNull();
  });

  it('staff without a password still come in only through their invitation', async () => {
    const admin = await staffWithRole(t, 'admin');
    const email = fresh('invited-staff');
    await inviteStaff(t.ctx, { type: 'staff', id: admin.account.id }, { email, name: 'New Agent', role: 'agent' }, { ip: '127.0.0.1', userAgent: 'test' });
    await t.mail.waitFor(email, 'invited');
    expect((await t.client().post('/api/v1/staff-auth/password/forgot', { email })).statusCode).toBe(202);
    await new Promise((r) => setTimeout(r, 500));
    expect(t.mail.to(email).filter((m) => m.subject.includes('Reset your password'))).toHaveLength(0);
  });
});
