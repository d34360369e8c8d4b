import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff, createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { MailSink } from './helpers/mail-sink.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

async function resetToken(email: string, kind: 'auth' | 'staff-auth' = 'auth'): Promise<string> {
  t.mail.messages.length = 0;
  expect((await t.client().post(`/api/v1/${kind}/password/forgot`, { email })).statusCode).toBe(202);
  return MailSink.token(await t.mail.waitFor(email, 'Reset your password'), '/reset-password');
}

describe('password reset links are single-use, expire, and never sign in', () => {
  it('20 concurrent uses of one link: exactly one succeeds, and its password is the one that works', async () => {
    const { email } = await signUpContact(t);
    const token = await resetToken(email);
    const clients = Array.from({ length: 20 }, () => t.client());
    for (const c of clients) await c.get('/api/v1/auth/session');
    const results = await Promise.all(clients.map((c, i) => c.post('/api/v1/auth/password/reset', { token, password: `new password number ${i}` })));
    const winners = results.flatMap((r, i) => (r.statusCode === 200 ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) {
      if (r.statusCode !== 200) {
        expect(r.statusCode).toBe(400);
        expect(r.json().code).toBe('invalid_token');
      }
    }
    expect((await t.client().post('/api/v1/auth/login', { email, password: `new password number ${winners[0]}` })).statusCode).toBe(200);
    const loser = (winners[0] + 1) % 20;
    expect((await t.client().post('/api/v1/auth/login', { email, password: `new password number ${loser}` })).statusCode).toBe(401);
    const resets = await t.ctx.db.selectFrom('audit_events').select('id').where('action', '=', 'auth.password.reset').where('contact_id', 'is not', null).execute();
    expect(resets.length).toBeGreaterThanOrEqual(1);
  });

  it('an expired link (over 1 hour) and a superseded link are refused; the password stays', async () => {
    const { email } = await signUpContact(t);
    const first = await resetToken(email);
    const second = await resetToken(email);
    const superseded = await t.client().post('/api/v1/auth/password/reset', { token: first, password: 'superseded password' });
    expect(superseded.json().code).toBe('invalid_token');
    t.clock.advance(60 * 60_000 + 1000);
    const late = await t.client().post('/api/v1/auth/password/reset', { token: second, password: 'too late password' });
    expect(late.statusCode).toBe(400);
    expect(late.json().code).toBe('invalid_token');
    expect((await t.client().post('/api/v1/auth/login', { email, password: PASSWORD })).statusCode).toBe(200);
  });

  it('answers forgot-password the same for unknown addresses and sends nothing', async () => {
    const r = await t.client().post('/api/v1/auth/password/forgot', { email: 'nobody-here@example.com' });
    expect(r.statusCode).toBe(202);
    const { email } = await signUpContact(t);
    const known = await t.client().post('/api/v1/auth/password/forgot', { email });
    expect(known.json()).toEqual(r.json());
    await t.mail.waitFor(email, 'Reset your password');
    expect(t.mail.to('nobody-here@example.com')).toHaveLength(0);
  });

  it('a customer\'s link does not reset a staff password with the same address, and staff reset their own', async () => {
    const email = `both-${Date.now()}@example.com`;
    await signUpContact(t, email);
    await createStaff(t, 'agent', email);
    const contactToken = await resetToken(email, 'auth');
    const cross = await t.client().post('/api/v1/staff-auth/password/reset', { token: contactToken, password: 'cross kind password' });
    expect(cross.json().code).toBe('invalid_token');
    const staffToken = await resetToken(email, 'staff-auth');
    expect(MailSink.link(t.mail.messages[0], '/admin/reset-password')).toContain('/admin/reset-password');
    expect((await t.client().post('/api/v1/staff-auth/password/reset', { token: staffToken, password: 'new staff password' })).statusCode).toBe(200);
    expect((await t.client().post('/api/v1/staff-auth/login', { email, password: 'new staff password' })).statusCode).toBe(200);
    // The customer's account kept its password.
    expect((await t.client().post('/api/v1/auth/login', { email, password: PASSWORD })).statusCode).toBe(200);
  });
});
