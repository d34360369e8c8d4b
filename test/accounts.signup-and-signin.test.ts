import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { MailSink } from './helpers/mail-sink.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('customer sign-up and sign-in', () => {
  it('signs up, verifies the email from the real message, signs in and out', async () => {
    const { client, email } = await signUpContact(t);
    const s = await client.get('/api/v1/auth/session');
    expect(s.json()).toMatchObject({ state: 'authenticated', contact: { email, emailVerified: true } });
    expect((await client.post('/api/v1/auth/logout')).statusCode).toBe(204);
    expect((await client.get('/api/v1/auth/session')).json().state).toBe('anonymous');
  });

  it('answers a sign-up with an existing email exactly like a new one, and emails the owner', async () => {
    const { email } = await signUpContact(t);
    const c = t.client();
    const again = await c.post('/api/v1/auth/signup', { email, password: 'another password', name: 'Mallory' });
    const fresh = await c.post('/api/v1/auth/signup', { email: `new-${email}`, password: 'another password', name: 'New' });
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(fresh.json());
    const notice = await t.mail.waitFor(email, 'Someone tried to sign up');
    // Its links open the help center's sign-in and password-reset pages (web/src/help-center/HelpCenterApp.tsx).
    expect(notice.text).toContain(`sign in at ${t.config.publicURL}/sign-in,`);
    expect(notice.text).toContain(`reset your password at ${t.config.publicURL}/forgot-password.`);
    // The intruder's password did not replace the owner's.
    const l = await t.client().post('/api/v1/auth/login', { email, password: 'another password' });
    expect(l.statusCode).toBe(401);
  });

  it('rejects a wrong password and an unknown email with the same answer', async () => {
    const { email } = await signUpContact(t);
    const wrong = await t.client().post('/api/v1/auth/login', { email, password: 'not the password' });
    const unknown = await t.client().post('/api/v1/auth/login', { email: 'nobody@example.com', password: PASSWORD });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.headers['content-type']).toContain('application/problem+json');
    expect({ ...wrong.json(), detail: null }).toEqual({ ...unknown.json(), detail: null });
    expect(wrong.json().code).toBe('invalid_credentials');
  });

  it('rejects a sign-in without the CSRF token', async () => {
    const c = t.client();
    c.csrf = false;
    const r = await c.post('/api/v1/auth/login', { email: 'x@example.com', password: PASSWORD });
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('csrf_failed');
  });

  it('resets a forgotten password by a single-use link that does not sign in', async () => {
    const { email, client } = await signUpContact(t);
    const c = t.client();
    expect((await c.post('/api/v1/auth/password/forgot', { email })).statusCode).toBe(202);
    const token = MailSink.token(await t.mail.waitFor(email, 'Reset your password'), '/reset-password');
    const r = await c.post('/api/v1/auth/password/reset', { token, password: 'a brand new password' });
    expect(r.statusCode).toBe(200);
    expect((await c.get('/api/v1/auth/session')).json().state).toBe('anonymous');
    expect((await c.post('/api/v1/auth/password/reset', { token, password: 'yet another password' })).json().code).toBe('invalid_token');
    // Every earlier session ended.
    expect((await client.get('/api/v1/auth/session')).json().state).toBe('anonymous');
    expect((await c.post('/api/v1/auth/login', { email, password: 'a brand new password' })).statusCode).toBe(200);
  });
});
