import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff, createTestApp, PASSWORD, signInStaff, signUpContact, type TestApp } from './helpers/app.js';
import { MailSink } from './helpers/mail-sink.js';

// Someone reads a customer's mailbox and asks for a password-reset link. The customer sees the
// "Reset your password" email they did not ask for, and does what it and the security page
// suggest: changes their password, or signs out everywhere. The link in the mailbox must stop
// working then, or whoever reads it sets the password an hour later all the same.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

async function mailedResetLink(scope: 'auth' | 'staff-auth', email: string, path: string): Promise<string> {
  expect((await t.client().post(`/api/v1/${scope}/password/forgot`, { email })).statusCode).toBe(202);
  return MailSink.token(await t.mail.waitFor(email, 'Reset your password'), path);
}

async function expectDead(scope: 'auth' | 'staff-auth', token: string): Promise<void> {
  const r = await t.client().post(`/api/v1/${scope}/password/reset`, { token, password: 'the mailbox reader’s pick' });
  expect(r.statusCode, r.body).toBe(400);
  expect(String(r.headers['content-type'])).toContain('application/problem+json');
  expect(r.json().code).toBe('invalid_token');
}

describe('a password-reset link already mailed stops working', () => {
  it('when the customer changes their password', async () => {
    const { client, email } = await signUpContact(t);
    const link = await mailedResetLink('auth', email, '/reset-password');
    const changed = await client.post('/api/v1/me/password', { currentPassword: PASSWORD, newPassword: 'the owner’s new one' });
    expect(changed.statusCode, changed.body).toBe(200);
    await expectDead('auth', link);
    expect((await t.client().post('/api/v1/auth/login', { email, password: 'the mailbox reader’s pick' })).statusCode).toBe(401);
    expect((await t.client().post('/api/v1/auth/login', { email, password: 'the owner’s new one' })).statusCode).toBe(200);
  });

  it('when the customer signs out everywhere', async () => {
    const { client, email } = await signUpContact(t);
    const link = await mailedResetLink('auth', email, '/reset-password');
    expect((await client.post('/api/v1/auth/logout-everywhere')).statusCode).toBe(204);
    await expectDead('auth', link);
    expect((await t.client().post('/api/v1/auth/login', { email, password: PASSWORD })).statusCode).toBe(200);
  });

  it('when a staff member changes their password', async () => {
    const staff = await createStaff(t, 'agent');
    const c = await signInStaff(t, staff.email);
    const link = await mailedResetLink('staff-auth', staff.email, '/admin/reset-password');
    expect((await c.post('/api/v1/staff-me/password', { currentPassword: PASSWORD, newPassword: 'staff changed it' })).statusCode).toBe(200);
    await expectDead('staff-auth', link);
  });

  it('only that person’s links, and a link asked for afterwards works', async () => {
    const owner = await signUpContact(t);
    const bystander = await signUpContact(t);
    await mailedResetLink('auth', owner.email, '/reset-password');
    const othersLink = await mailedResetLink('auth', bystander.email, '/reset-password');
    expect((await owner.client.post('/api/v1/auth/logout-everywhere')).statusCode).toBe(204);
    expect((await t.client().post('/api/v1/auth/password/reset', { token: othersLink, password: 'bystander’s new one' })).json()).toEqual({ reset: true });

    // The link is the newest email to that address with this subject.
    await new Promise((r) => setTimeout(r, 50));
    expect((await t.client().post('/api/v1/auth/password/forgot', { email: owner.email })).statusCode).toBe(202);
    let fresh: string | undefined;
    for (let i = 0; i < 50 && !fresh; i++) {
      const links = t.mail.to(owner.email).filter((m) => m.subject.includes('Reset your password'));
      if (links.length >= 2) fresh = MailSink.token(links[links.length - 1], '/reset-password');
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(fresh).toBeDefined();
    expect((await t.client().post('/api/v1/auth/password/reset', { token: fresh, password: 'the owner’s new one' })).json()).toEqual({ reset: true });
  });
});
