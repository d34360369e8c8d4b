import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/runtime.js';
import { COOKIES } from '../src/http/cookies.js';
import { createTestApp, PASSWORD, type TestApp } from './helpers/app.js';
import { MailSink } from './helpers/mail-sink.js';
import { codeFor, enrollTOTP, nextStep, staffWithMFA } from './helpers/mfa.js';

// PRODUCT.md §7: "Logs never hold secrets: an email is logged by recipient and subject only."
// The production logger (its serializers and redaction), at its most verbose level, with
// Fastify's request logging on, while a customer and staff go through every flow that handles a
// password, an emailed token, a TOTP secret or code, recovery codes, a temporary access code,
// an API token, session cookies and CSRF tokens. Not one of them may appear in any log line.

const lines: string[] = [];
const secrets = new Map<string, string>();
const keep = (what: string, value: string | undefined | null) => {
  if (!value) throw new Error(`no ${what} to check`);
  secrets.set(what, value);
};

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ log: createLogger('trace', { write: (line: string) => void lines.push(line) }) });
});
afterAll(async () => {
  await t.close();
});

describe('the logs', () => {
  it('hold no password, token, code, secret or cookie from any flow', async () => {
    const email = `logged-${Date.now()}@example.com`;
    const c = t.client();
    // Sign-up, email verification, sign-in.
    keep('sign-up password', PASSWORD);
    expect((await c.post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Lou Logged' })).statusCode).toBe(201);
    const verify = MailSink.token(await t.mail.waitFor(email, 'Confirm your email'), '/verify-email');
    keep('verification token', verify);
    expect((await c.post('/api/v1/auth/verify-email', { token: verify })).statusCode).toBe(200);
    expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).statusCode).toBe(200);
    keep('session cookie', c.cookies.get(COOKIES.contact));
    const contactID = (await c.get('/api/v1/auth/session')).json().contact.id as string;
    // An authenticator app and its recovery codes, then a second step with a code.
    const start = await c.post('/api/v1/me/mfa/totp');
    keep('TOTP secret', start.json().secret);
    const { secret, recoveryCodes } = await (async () => {
      const bytes = (await import('./helpers/mfa.js')).secretFromBase32(start.json().secret);
      const code = codeFor(t, bytes);
      keep('enrollment code', code);
      const ok = await c.post(`/api/v1/me/mfa/totp/${start.json().factorId}/confirm`, { code });
      expect(ok.statusCode, ok.body).toBe(200);
      return { secret: bytes, recoveryCodes: ok.json().recoveryCodes as string[] };
    })();
    recoveryCodes.forEach((r, i) => keep(`recovery code ${i}`, r));
    nextStep(t);
    const d = t.client();
    await d.post('/api/v1/auth/login', { email, password: PASSWORD });
    keep('pending session cookie', d.cookies.get(COOKIES.contact));
    const second = codeFor(t, secret);
    keep('second-step code', second);
    expect((await d.post('/api/v1/auth/mfa/verify', { method: 'totp', code: second })).statusCode).toBe(200);
    const e = t.client();
    await e.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await e.post('/api/v1/auth/mfa/verify', { method: 'recovery_code', code: recoveryCodes[0] })).statusCode).toBe(200);
    // A forgotten password: the reset link, and the new password.
    expect((await t.client().post('/api/v1/auth/password/forgot', { email })).statusCode).toBeLessThan(300);
    const reset = MailSink.token(await t.mail.waitFor(email, 'Reset your password'), '/reset-password');
    keep('password reset token', reset);
    keep('new password', 'a brand new secret phrase');
    expect((await t.client().post('/api/v1/auth/password/reset', { token: reset, password: 'a brand new secret phrase' })).statusCode).toBe(200);

    // Staff: an invitation, a temporary access code, an API token used as a bearer.
    const admin = await staffWithMFA(t, 'admin');
    keep('staff session cookie', admin.client.cookies.get(COOKIES.staff));
    const staffEmail = `invitee-${Date.now()}@example.com`;
    expect((await admin.client.post('/api/v1/staff', { email: staffEmail, name: 'New Agent', role: 'agent' })).statusCode).toBe(201);
    keep('invitation token', MailSink.token(await t.mail.waitFor(staffEmail, /invit/i), '/admin/invitation'));
    await admin.stepUp();
    const temp = await admin.client.post(`/api/v1/contacts/${contactID}/mfa/temporary-codes`, { reason: 'lost phone, verified by call-back' });
    expect(temp.statusCode, temp.body).toBe(201);
    keep('temporary access code', temp.json().code);
    await admin.stepUp();
    const token = await admin.client.post('/api/v1/api-tokens', { name: 'logs test', scopes: ['contacts:read'] });
    expect(token.statusCode, token.body).toBe(201);
    keep('API token', token.json().token);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/contacts/${contactID}`, headers: { authorization: `Bearer ${token.json().token}` } })).statusCode).toBe(200);
    keep('CSRF token', (await admin.client.get('/api/v1/staff-auth/session')).json().csrfToken);
    // A wrong password and a wrong code are logged as failures, never as values.
    keep('wrong password', 'guessing-the-password-123');
    await t.client().post('/api/v1/auth/login', { email, password: 'guessing-the-password-123' });

    // Let the outbox send what it queued (its log lines are part of the check).
    await t.mail.waitFor(email, /code|sign-in method|password/i);
    expect(lines.length).toBeGreaterThan(20);
    const all = lines.join('\n');
    for (const [what, value] of secrets) expect(all.includes(value), `${what} appears in the logs`).toBe(false);
    // Email log lines name the recipient and subject only.
    for (const line of lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => 'subject' in l)) {
      expect(Object.keys(line).filter((k) => !['level', 'time', 'pid', 'hostname', 'msg', 'to', 'subject', 'attempts', 'error', 'id'].includes(k)), JSON.stringify(line)).toEqual([]);
    }
  });
});
