import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createStaff, createTestApp, PASSWORD, signInStaff, signUpContact, type TestApp } from './helpers/app.js';
import { MailSink } from './helpers/mail-sink.js';
import type { Client } from './helpers/client.js';

// An email change is confirmed by its emailed token alone. The old address is told "if this was
// not you, change your password now": so a password reset, a password change and signing out
// everywhere (what a customer does when a session was stolen) must void every pending change,
// or whoever held the session confirms it anyway and then resets the password through the new
// address (account takeover).

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const fresh = (p: string) => `${p}-${randomBytes(4).toString('hex')}@example.com`;

/** The attacker, holding a copy of the victim's session, asks to move the account to their address. */
async function pendingChange(stolen: Client, victim: string): Promise<{ evil: string; token: string }> {
  const evil = fresh('evil');
  expect((await stolen.post('/api/v1/me/email', { email: evil, password: PASSWORD })).statusCode).toBe(202);
  await t.mail.waitFor(victim, 'Your email address is being changed');
  const token = MailSink.token(await t.mail.waitFor(evil, 'Confirm your new email address'), '/confirm-email');
  return { evil, token };
}

async function resetByEmail(email: string, password: string) {
  expect((await t.client().post('/api/v1/auth/password/forgot', { email })).statusCode).toBe(202);
  const token = MailSink.token(await t.mail.waitFor(email, 'Reset your password'), '/reset-password');
  const r = await t.client().post('/api/v1/auth/password/reset', { token, password });
  expect(r.statusCode, r.body).toBe(200);
}

async function expectVoided(victim: { email: string; id: string }, evil: string, token: string, password: string) {
  const confirm = await t.client().post('/api/v1/auth/email-change/confirm', { token });
  expect(confirm.statusCode).toBe(400);
  expect(String(confirm.headers['content-type'])).toContain('application/problem+json');
  expect(confirm.json().code).toBe('invalid_token');
  const row = await t.ctx.db.selectFrom('contacts').select('email').where('id', '=', victim.id).executeTakeFirstOrThrow();
  expect(row.email).toBe(victim.email);
  // The attacker's address cannot be used to take the account over.
  expect((await t.client().post('/api/v1/auth/login', { email: evil, password })).statusCode).toBe(401);
  expect((await t.client().post('/api/v1/auth/login', { email: victim.email, password })).statusCode).toBe(200);
}

describe('a pending email change is voided by a password reset, a password change and signing out everywhere', () => {
  it('a password reset through the emailed link voids it', async () => {
    const victim = await signUpContact(t);
    const { evil, token } = await pendingChange(victim.client, victim.email);
    await resetByEmail(victim.email, 'victim new password');
    // The stolen session ended with the reset.
    expect((await victim.client.get('/api/v1/auth/session')).json().state).toBe('anonymous');
    await expectVoided(victim, evil, token, 'victim new password');
  });

  it('a password change voids it', async () => {
    const victim = await signUpContact(t);
    const own = t.client();
    expect((await own.post('/api/v1/auth/login', { email: victim.email, password: PASSWORD })).statusCode).toBe(200);
    const { evil, token } = await pendingChange(victim.client, victim.email);
    const changed = await own.post('/api/v1/me/password', { currentPassword: PASSWORD, newPassword: 'victim changed it' });
    expect(changed.statusCode, changed.body).toBe(200);
    await expectVoided(victim, evil, token, 'victim changed it');
  });

  it('signing out everywhere voids it', async () => {
    const victim = await signUpContact(t);
    const own = t.client();
    expect((await own.post('/api/v1/auth/login', { email: victim.email, password: PASSWORD })).statusCode).toBe(200);
    const { evil, token } = await pendingChange(victim.client, victim.email);
    expect((await own.post('/api/v1/auth/logout-everywhere')).statusCode).toBe(204);
    expect((await victim.client.get('/api/v1/auth/session')).json().state).toBe('anonymous');
    await expectVoided(victim, evil, token, PASSWORD);
  });

  it('only that account’s pending change is voided, and a change asked for afterwards still works', async () => {
    const victim = await signUpContact(t);
    const bystander = await signUpContact(t);
    const { token: victimToken } = await pendingChange(victim.client, victim.email);
    const { evil: moved, token: bystanderToken } = await pendingChange(bystander.client, bystander.email);
    await resetByEmail(victim.email, 'victim new password');
    expect((await t.client().post('/api/v1/auth/email-change/confirm', { token: victimToken })).json().code).toBe('invalid_token');
    expect((await t.client().post('/api/v1/auth/email-change/confirm', { token: bystanderToken })).json()).toEqual({ changed: true });
    expect((await t.client().post('/api/v1/auth/login', { email: moved, password: PASSWORD })).statusCode).toBe(200);

    // The owner, signed in again with the new password, can still move the address.
    const c = t.client();
    expect((await c.post('/api/v1/auth/login', { email: victim.email, password: 'victim new password' })).statusCode).toBe(200);
    const next = fresh('next');
    expect((await c.post('/api/v1/me/email', { email: next, password: 'victim new password' })).statusCode).toBe(202);
    const token = MailSink.token(await t.mail.waitFor(next, 'Confirm your new email address'), '/confirm-email');
    expect((await t.client().post('/api/v1/auth/email-change/confirm', { token })).json()).toEqual({ changed: true });
    expect((await c.get('/api/v1/me')).json().email).toBe(next);
  });

  it('a staff member’s pending change is voided by a password change too', async () => {
    const staff = await createStaff(t, 'agent');
    const stolen = await signInStaff(t, staff.email);
    const own = await signInStaff(t, staff.email);
    const evil = fresh('evil-staff');
    expect((await stolen.post('/api/v1/staff-me/email', { email: evil, password: PASSWORD })).statusCode).toBe(202);
    const token = MailSink.token(await t.mail.waitFor(evil, 'Confirm your new email address'), '/confirm-email');
    expect((await own.post('/api/v1/staff-me/password', { currentPassword: PASSWORD, newPassword: 'staff changed it' })).statusCode).toBe(200);
    const r = await t.client().post('/api/v1/staff-auth/email-change/confirm', { token });
    expect(r.statusCode).toBe(400);
    expect(r.json().code).toBe('invalid_token');
  });
});
