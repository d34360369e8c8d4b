import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep } from './helpers/mfa.js';
import { MailSink } from './helpers/mail-sink.js';
import type { Client } from './helpers/client.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

async function pendingSignIn(email: string): Promise<Client> {
  const c = t.client();
  const r = await c.post('/api/v1/auth/login', { email, password: PASSWORD });
  expect(r.json().state).toBe('mfa_required');
  return c;
}

describe('brute force on the second step', () => {
  it('allows 5 wrong codes per challenge, then demands a new sign-in', async () => {
    const { client, email } = await signUpContact(t);
    const { secret } = await enrollTOTP(t, client);
    nextStep(t);
    const c = await pendingSignIn(email);
    for (let i = 1; i <= 4; i++) {
      const r = await c.post('/api/v1/auth/mfa/verify', { method: 'totp', code: '000000' });
      expect(r.statusCode).toBe(400);
      expect(r.json().attemptsLeft).toBe(5 - i);
    }
    const fifth = await c.post('/api/v1/auth/mfa/verify', { method: 'totp', code: '000000' });
    expect(fifth.statusCode).toBe(429);
    expect(fifth.json().code).toBe('challenge_locked');
    // Even the right code no longer works on this challenge.
    const right = await c.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, secret) });
    expect(right.json().code).toBe('challenge_locked');
    // A fresh sign-in gets a fresh challenge.
    const again = await pendingSignIn(email);
    expect((await again.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, secret) })).statusCode).toBe(200);
  });

  it('a challenge lives 10 minutes', async () => {
    const { client, email } = await signUpContact(t);
    const { secret } = await enrollTOTP(t, client);
    const c = await pendingSignIn(email);
    t.clock.advance(10 * 60_000 + 1000);
    const r = await c.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, secret) });
    expect(r.statusCode).toBe(401);
    expect(r.json().code).toBe('unauthenticated');
  });

  it('locks the account for 15 minutes after 10 failures across challenges, and emails the owner', async () => {
    const { client, email } = await signUpContact(t);
    const { secret } = await enrollTOTP(t, client);
    nextStep(t);
    for (let i = 0; i < 2; i++) {
      const c = await pendingSignIn(email);
      for (let j = 0; j < 5; j++) await c.post('/api/v1/auth/mfa/verify', { method: 'totp', code: '000000' });
    }
    const c = await pendingSignIn(email);
    const locked = await c.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, secret) });
    expect(locked.statusCode).toBe(429);
    expect(locked.json().code).toBe('account_locked');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    const mail = await t.mail.waitFor(email, 'Two-step verification locked');
    expect(mail.text).toContain('15 minutes');
    t.clock.advance(15 * 60_000 + 1000);
    const later = await pendingSignIn(email);
    expect((await later.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, secret) })).statusCode).toBe(200);
  });

  it('locks until a password reset after 100 consecutive failures', async () => {
    const { client, email } = await signUpContact(t);
    const { secret } = await enrollTOTP(t, client);
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 2; i++) {
        const c = await pendingSignIn(email);
        for (let j = 0; j < 5; j++) await c.post('/api/v1/auth/mfa/verify', { method: 'recovery_code', code: 'AAAA-BBBB-CCCC' });
      }
      t.clock.advance(15 * 60_000 + 1000);
    }
    nextStep(t);
    const c = await pendingSignIn(email);
    const r = await c.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, secret) });
    expect(r.json().code).toBe('account_locked');
    expect(r.json().detail).toMatch(/until the support team unlocks it or you reset your password/);
    t.clock.advance(24 * 3600_000);
    const stillLocked = await pendingSignIn(email);
    expect((await stillLocked.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, secret) })).json().code).toBe('account_locked');

    await t.client().post('/api/v1/auth/password/forgot', { email });
    const token = MailSink.token((await t.mail.to(email)).filter((m) => m.subject.includes('Reset'))[0] ?? (await t.mail.waitFor(email, 'Reset your password')), '/reset-password');
    await t.client().post('/api/v1/auth/password/reset', { token, password: 'a new password 42' });
    nextStep(t);
    const after = t.client();
    await after.post('/api/v1/auth/login', { email, password: 'a new password 42' });
    expect((await after.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, secret) })).statusCode).toBe(200);
  }, 120_000);

  it('counts failures outside the sign-in, so they survive whatever the request did', async () => {
    const { client, email } = await signUpContact(t);
    await enrollTOTP(t, client);
    const c = await pendingSignIn(email);
    await c.post('/api/v1/auth/mfa/verify', { method: 'totp', code: '000000' });
    const row = await t.ctx.db.selectFrom('mfa_accounts').selectAll().where('owner_id', '=', (await t.ctx.db.selectFrom('contacts').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id).executeTakeFirstOrThrow();
    expect(Number(row.failures)).toBe(1);
  });
});
