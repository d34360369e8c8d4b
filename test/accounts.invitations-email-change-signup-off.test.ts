import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { countRows, staffWithRole } from './helpers/staff-session.js';
import { MailSink } from './helpers/mail-sink.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('account lifecycle', () => {
  it('email verification links are single-use and expire after a day; unverified customers can resend', async () => {
    const c = t.client();
    const email = `verify-${Date.now()}@example.com`;
    await c.post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Vera' });
    const first = MailSink.token(await t.mail.waitFor(email, 'Confirm your email'), '/verify-email');
    await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await c.post('/api/v1/auth/verify-email/resend')).statusCode).toBe(202);
    const confirmations = async () => {
      for (let i = 0; i < 100 && t.mail.to(email).filter((m) => m.subject.includes('Confirm')).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      return t.mail.to(email).filter((m) => m.subject.includes('Confirm'));
    };
    const second = MailSink.token((await confirmations())[1], '/verify-email');
    // The resend voided the first link.
    expect((await c.post('/api/v1/auth/verify-email', { token: first })).json().code).toBe('invalid_token');
    t.clock.advance(24 * 3600_000 + 1000);
    const late = await c.post('/api/v1/auth/verify-email', { token: second });
    expect(late.statusCode).toBe(400);
    expect(late.json().code).toBe('invalid_token');
    const row = await t.ctx.db.selectFrom('contacts').select('email_verified_at').where('email', '=', email).executeTakeFirstOrThrow();
    expect(row.email_verified_at).toBeNull();
    expect((await t.client().post('/api/v1/auth/verify-email/resend')).statusCode).toBe(401);
  });

  it('sign-up turned off by an admin answers 403 and creates nothing; back on, it works', async () => {
    const admin = await staffWithRole(t, 'admin');
    const off = await admin.client.put('/api/v1/settings/general', { allowSignup: false, reason: 'invite only' });
    expect(off.statusCode).toBe(200);
    expect(off.json()).toEqual({ allowSignup: false });
    expect((await t.client().get('/api/v1/help-center')).json().allowSignup).toBe(false);
    const before = await countRows(t, 'contacts');
    const r = await t.client().post('/api/v1/auth/signup', { email: `closed-${Date.now()}@example.com`, password: PASSWORD, name: 'Closed' });
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('forbidden');
    expect(await countRows(t, 'contacts')).toBe(before);
    expect((await admin.client.get('/api/v1/settings/general')).json()).toEqual({ allowSignup: false });
    const audit = await t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', 'settings.general.changed').executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor_type: 'staff', actor_id: admin.account.id, reason: 'invite only' });
    expect((await admin.client.put('/api/v1/settings/general', { allowSignup: true })).statusCode).toBe(200);
    expect((await t.client().post('/api/v1/auth/signup', { email: `open-${Date.now()}@example.com`, password: PASSWORD, name: 'Open' })).statusCode).toBe(201);
  });

  it('staff invite a contact, who accepts once, chooses a password, and is verified', async () => {
    const agent = await staffWithRole(t, 'agent');
    const email = `invited-${Date.now()}@example.com`;
    const created = await agent.client.post('/api/v1/contacts', { email, name: 'Ina Vited' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: expect.stringMatching(/^ct_/), email, invited: true, emailVerified: false });
    expect((await agent.client.post('/api/v1/contacts', { email, name: 'Again' })).statusCode).toBe(409);
    expect((await agent.client.get(`/api/v1/contacts/${created.json().id}`)).json().email).toBe(email);

    const token = MailSink.token(await t.mail.waitFor(email, 'invited to the help center'), '/invitation');
    const c = t.client();
    // Not yet usable to sign in: there is no password.
    expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).statusCode).toBe(401);
    expect((await c.post('/api/v1/auth/invitations/lookup', { token })).json()).toMatchObject({ email, name: 'Ina Vited' });
    expect((await c.post('/api/v1/staff-auth/invitations/accept', { token, password: PASSWORD })).json().code).toBe('invalid_token');
    const ok = await c.post('/api/v1/auth/invitations/accept', { token, password: PASSWORD });
    expect(ok.json()).toEqual({ accepted: true, email });
    expect((await c.post('/api/v1/auth/invitations/accept', { token, password: 'second try pw' })).json().code).toBe('invalid_token');
    expect((await c.post('/api/v1/auth/invitations/lookup', { token })).statusCode).toBe(400);
    // Accepting does not sign in.
    expect((await c.get('/api/v1/auth/session')).json().state).toBe('anonymous');
    expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('authenticated');
    expect((await c.get('/api/v1/me')).json().emailVerified).toBe(true);
    expect((await c.post('/api/v1/me/tickets', { subject: 'Hi', message: 'there' })).statusCode).toBe(201);

    // A contact created without an invitation gets no email.
    const quiet = `quiet-${Date.now()}@example.com`;
    expect((await agent.client.post('/api/v1/contacts', { email: quiet, name: 'Quiet', invite: false })).statusCode).toBe(201);
    await new Promise((r) => setTimeout(r, 200));
    expect(t.mail.to(quiet)).toHaveLength(0);
  });

  it('an email change notifies the old address and takes effect only when the new one confirms', async () => {
    const { client, email } = await signUpContact(t);
    const next = `moved-${Date.now()}@example.com`;
    const wrong = await client.post('/api/v1/me/email', { email: next, password: 'wrong password' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('invalid_credentials');
    expect((await client.post('/api/v1/me/email', { email, password: PASSWORD })).json().code).toBe('invalid_input');

    expect((await client.post('/api/v1/me/email', { email: next, password: PASSWORD })).statusCode).toBe(202);
    const notice = await t.mail.waitFor(email, 'Your email address is being changed');
    expect(notice.text).toContain(next);
    const token = MailSink.token(await t.mail.waitFor(next, 'Confirm your new email address'), '/confirm-email');
    // Nothing changed yet.
    expect((await client.get('/api/v1/me')).json().email).toBe(email);
    expect((await t.client().post('/api/v1/auth/email-change/confirm', { token })).json()).toEqual({ changed: true });
    expect((await client.get('/api/v1/me')).json().email).toBe(next);
    expect((await t.client().post('/api/v1/auth/email-change/confirm', { token })).json().code).toBe('invalid_token');
    expect((await t.client().post('/api/v1/auth/login', { email: next, password: PASSWORD })).statusCode).toBe(200);
    expect((await t.client().post('/api/v1/auth/login', { email, password: PASSWORD })).statusCode).toBe(401);
  });

  it('an email change to an address taken meanwhile is refused at confirmation; an expired one too', async () => {
    const a = await signUpContact(t);
    const target = `taken-${Date.now()}@example.com`;
    await a.client.post('/api/v1/me/email', { email: target, password: PASSWORD });
    const token = MailSink.token(await t.mail.waitFor(target, 'Confirm your new email address'), '/confirm-email');
    await signUpContact(t, target);
    const r = await t.client().post('/api/v1/auth/email-change/confirm', { token });
    expect(r.statusCode).toBe(409);
    expect(r.json().code).toBe('conflict');
    expect((await a.client.get('/api/v1/me')).json().email).toBe(a.email);

    const b = await signUpContact(t);
    const later = `later-${Date.now()}@example.com`;
    await b.client.post('/api/v1/me/email', { email: later, password: PASSWORD });
    const lateToken = MailSink.token(await t.mail.waitFor(later, 'Confirm your new email address'), '/confirm-email');
    t.clock.advance(24 * 3600_000 + 1000);
    expect((await t.client().post('/api/v1/auth/email-change/confirm', { token: lateToken })).json().code).toBe('invalid_token');
  });
});
