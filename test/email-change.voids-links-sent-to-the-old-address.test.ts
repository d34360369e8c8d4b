import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createStaff, createTestApp, PASSWORD, signInStaff, signUpContact, type TestApp } from './helpers/app.js';
import { MailSink } from './helpers/mail-sink.js';
import type { Client } from './helpers/client.js';
import { issueEmailToken } from '../src/accounts/email-tokens.js';
import { DAY } from '../src/clock.js';

// A person moves their account to another address, perhaps because someone else reads the old
// mailbox. A password-reset link mailed to the old address before the move (valid one hour)
// must stop working when the move is confirmed, or whoever holds the old mailbox sets the
// password after all. So must an MFA setup link (valid one day). Sessions carry on: the move
// was asked for from a signed-in session with the password.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const fresh = (p: string) => `${p}-${randomBytes(4).toString('hex')}@example.com`;

async function forgot(scope: 'auth' | 'staff-auth', email: string, path: string): Promise<string> {
  expect((await t.client().post(`/api/v1/${scope}/password/forgot`, { email })).statusCode).toBe(202);
  return MailSink.token(await t.mail.waitFor(email, 'Reset your password'), path);
}

async function moveAddress(c: Client, scope: 'auth' | 'staff-auth', me: string, to: string, path: string): Promise<void> {
  expect((await c.post(`/api/v1/${me}/email`, { email: to, password: PASSWORD })).statusCode).toBe(202);
  const token = MailSink.token(await t.mail.waitFor(to, 'Confirm your new email address'), path);
  const r = await t.client().post(`/api/v1/${scope}/email-change/confirm`, { token });
  expect(r.json()).toEqual({ changed: true });
}

async function expectInvalidToken(r: { statusCode: number; headers: Record<string, unknown>; json(): any }) {
  expect(r.statusCode).toBe(400);
  expect(String(r.headers['content-type'])).toContain('application/problem+json');
  expect(r.json().code).toBe('invalid_token');
}

describe('confirming an email change voids links mailed to the old address', () => {
  it('a customer: forgot, change email, confirm; the old reset link answers invalid_token and the password stays', async () => {
    const { client, email: old, id } = await signUpContact(t);
    const oldLink = await forgot('auth', old, '/reset-password');
    const moved = fresh('moved');
    await moveAddress(client, 'auth', 'me', moved, '/confirm-email');

    await expectInvalidToken(await t.client().post('/api/v1/auth/password/reset', { token: oldLink, password: 'the old mailbox’s pick' }));
    expect((await t.client().post('/api/v1/auth/login', { email: moved, password: 'the old mailbox’s pick' })).statusCode).toBe(401);
    expect((await t.client().post('/api/v1/auth/login', { email: moved, password: PASSWORD })).statusCode).toBe(200);
    const audit = await t.ctx.db.selectFrom('audit_events').select('id').where('action', '=', 'auth.password.reset').where('contact_id', '=', id).execute();
    expect(audit).toHaveLength(0);

    // The session that asked for the move carries on.
    expect((await client.get('/api/v1/me')).json().email).toBe(moved);
    // A reset asked for afterwards goes to the new address and works.
    const newLink = await forgot('auth', moved, '/reset-password');
    expect((await t.client().post('/api/v1/auth/password/reset', { token: newLink, password: 'a fresh password' })).json()).toEqual({ reset: true });
    expect((await t.client().post('/api/v1/auth/login', { email: moved, password: 'a fresh password' })).statusCode).toBe(200);
  });

  it('a staff member: the old reset link is voided too', async () => {
    const staff = await createStaff(t, 'agent');
    const c = await signInStaff(t, staff.email);
    const oldLink = await forgot('staff-auth', staff.email, '/admin/reset-password');
    const moved = fresh('moved-staff');
    await moveAddress(c, 'staff-auth', 'staff-me', moved, '/admin/confirm-email');
    await expectInvalidToken(await t.client().post('/api/v1/staff-auth/password/reset', { token: oldLink, password: 'the old mailbox’s pick' }));
    expect((await t.client().post('/api/v1/staff-auth/login', { email: moved, password: PASSWORD })).statusCode).toBe(200);
  });

  it('an MFA setup link mailed before the move is voided; another account’s links are not', async () => {
    const { client, email: old, id } = await signUpContact(t);
    const bystander = await signUpContact(t);
    await issueEmailToken(t.ctx, t.ctx.db, 'mfa_setup', 'contact', id, DAY);
    await issueEmailToken(t.ctx, t.ctx.db, 'mfa_setup', 'contact', bystander.id, DAY);
    const othersReset = await forgot('auth', bystander.email, '/reset-password');
    await forgot('auth', old, '/reset-password');
    await moveAddress(client, 'auth', 'me', fresh('moved'), '/confirm-email');

    const live = async (subjectID: string, purpose: 'mfa_setup' | 'password_reset') =>
      (await t.ctx.db.selectFrom('email_tokens').select('token_hash').where('subject_id', '=', subjectID).where('purpose', '=', purpose).where('used_at', 'is', null).execute()).length;
    expect(await live(id, 'mfa_setup')).toBe(0);
    expect(await live(id, 'password_reset')).toBe(0);
    expect(await live(bystander.id, 'mfa_setup')).toBe(1);
    expect((await t.client().post('/api/v1/auth/password/reset', { token: othersReset, password: 'bystander new pw' })).json()).toEqual({ reset: true });
  });
});
