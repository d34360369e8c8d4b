import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestApp, PASSWORD, type TestApp } from './helpers/app.js';
import { staffWithRole } from './helpers/staff-session.js';
import { MailSink } from './helpers/mail-sink.js';

// Accepting an invitation is anonymous and, with a live token, costs an argon2id hash: like a
// password reset (POST /password/reset), it is limited per IP, three times the configured
// forgotten-password limit per hour, customers and staff counted apart. Beyond it: 429
// problem+json with Retry-After, and nothing is looked up or changed.

let t: TestApp;
beforeAll(async () => {
  // Three times 2: six tries an hour per IP.
  t = await createTestApp({ env: { RATE_LIMIT_PASSWORD_RESET_PER_HOUR: '2' } });
});
afterAll(async () => {
  await t.close();
});

const madeUp = () => randomBytes(32).toString('base64url');

function expectLimited(r: { statusCode: number; headers: Record<string, unknown>; json(): any }): number {
  expect(r.statusCode).toBe(429);
  expect(String(r.headers['content-type'])).toContain('application/problem+json');
  expect(r.json().code).toBe('rate_limited');
  const retry = Number(r.headers['retry-after']);
  expect(retry).toBeGreaterThan(60);
  expect(retry).toBeLessThanOrEqual(3600);
  expect(r.json().retryAfter).toBe(retry);
  return retry;
}

describe('accepting invitations is limited per IP', () => {
  it('six tries an hour at the customer door, then 429 even for a live invitation, which works after the window', async () => {
    await t.ctx.db.deleteFrom('rate_limits').execute();
    const agent = await staffWithRole(t, 'agent');
    const email = `invited-${randomBytes(3).toString('hex')}@example.com`;
    expect((await agent.client.post('/api/v1/contacts', { email, name: 'Ina Vited' })).statusCode).toBe(201);
    const token = MailSink.token(await t.mail.waitFor(email, 'invited to the help center'), '/invitation');

    const c = t.client();
    for (let i = 0; i < 6; i++) expect((await c.post('/api/v1/auth/invitations/accept', { token: madeUp(), password: 'a long new password' })).json().code).toBe('invalid_token');
    const retry = expectLimited(await c.post('/api/v1/auth/invitations/accept', { token, password: PASSWORD }));
    // Refused before the lookup: the invitation is still unused.
    expect((await c.post('/api/v1/auth/invitations/lookup', { token })).json()).toMatchObject({ email });
    expect((await t.client().post('/api/v1/auth/login', { email, password: PASSWORD })).statusCode).toBe(401);

    // The staff door counts apart.
    expect((await c.post('/api/v1/staff-auth/invitations/accept', { token: madeUp(), password: 'a long new password' })).json().code).toBe('invalid_token');

    t.clock.advance(retry * 1000);
    expect((await c.post('/api/v1/auth/invitations/accept', { token, password: PASSWORD })).json()).toEqual({ accepted: true, email });
  });

  it('six tries an hour at the staff door', async () => {
    await t.ctx.db.deleteFrom('rate_limits').execute();
    const c = t.client();
    for (let i = 0; i < 6; i++) {
      const r = await c.post('/api/v1/staff-auth/invitations/accept', { token: madeUp(), password: 'a long new password', email: 'boss@example.com' });
      expect(r.json().code).toBe('invalid_token');
    }
    expectLimited(await c.post('/api/v1/staff-auth/invitations/accept', { token: madeUp(), password: 'a long new password', email: 'boss@example.com' }));
  });
});
