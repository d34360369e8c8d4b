import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, oneAfterAnother, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, judgedWrongCodes, nextStep } from './helpers/mfa.js';
import type { Client } from './helpers/client.js';

// PRODUCT.md §7: a second-step challenge allows 5 wrong codes, and 10 failures on the account
// lock its second step for 15 minutes (the owner is emailed once). A recovery code (or passkey)
// check first takes a try from the challenge and from the account, each by one conditional
// write, so that wrong codes fired in parallel cannot get more codes judged than a patient
// attacker would; an authenticator code is judged first and its answer decided by the write
// that commits it (second-step.ts). Either way the limits hold however many requests are in
// flight, and a request refused at a limit is never counted and never reveals whether its code
// was right. Runs on SQLite and on PostgreSQL.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const VERIFY = '/api/v1/auth/mfa/verify';
const WRONG = { method: 'totp', code: '000000' };
// A well-formed recovery code that is not one of the account's. Checking it costs argon2 work
// off the event loop, so on SQLite too the requests below are truly in flight together.
const WRONG_BY_METHOD = { totp: WRONG, recovery_code: { method: 'recovery_code', code: 'AAAA-BBBB-CCCC' } } as const;
const METHODS = ['totp', 'recovery_code'] as const;

/** A pending sign-in (password passed) whose CSRF token is fetched now, so its verifies start together. */
async function pendingSignIn(email: string): Promise<Client> {
  const c = t.client();
  const r = await c.post('/api/v1/auth/login', { email, password: PASSWORD });
  expect(r.json().state).toBe('mfa_required');
  c.headers['x-csrf-token'] = await c.csrfToken(VERIFY);
  return c;
}

/** An enrolled customer whose codes of this TOTP step are not yet used. */
async function customerWithTOTP(): Promise<{ id: string; email: string; secret: Buffer; recoveryCodes: string[] | undefined }> {
  const { client, email, id } = await signUpContact(t);
  const { secret, recoveryCodes } = await enrollTOTP(t, client);
  nextStep(t);
  return { id, email, secret, recoveryCodes };
}

async function accountState(contactID: string) {
  const row = await t.ctx.db.selectFrom('mfa_accounts').selectAll().where('owner_kind', '=', 'contact').where('owner_id', '=', contactID).executeTakeFirst();
  return { failures: Number(row?.failures ?? 0), lockedUntil: row?.locked_until ?? null, hardLocked: Number(row?.hard_locked ?? 0) === 1 };
}

function codes(results: LightMyRequestResponse[]): string[] {
  return results.map((r) => (r.statusCode === 200 ? 'ok' : String(r.json().code)));
}

const count = (xs: string[], x: string) => xs.filter((y) => y === x).length;

/** Waits until the mail sink holds `subject` for `email`, then a little longer for any duplicate. */
async function mailsAfterSettling(email: string, subject: string): Promise<number> {
  await t.mail.waitFor(email, subject);
  await new Promise((r) => setTimeout(r, 500));
  return t.mail.to(email).filter((m) => m.subject.includes(subject)).length;
}

describe('the second-step limits hold under concurrency', () => {
  it.each(METHODS)('30 parallel wrong codes (%s) on one pending sign-in: 5 are counted on the account, the rest are refused at the limit', async (method) => {
    const { id, email, secret } = await customerWithTOTP();
    const c = await pendingSignIn(email);
    const results = await Promise.all(Array.from({ length: 30 }, () => c.post(VERIFY, WRONG_BY_METHOD[method])));
    const got = codes(results);
    for (const r of results) expect(r.headers['content-type']).toContain('application/problem+json');
    // As one after the other: 4 answers with tries left (4, 3, 2, 1), then the fifth wrong code
    // uses the challenge up, and the other 25 are refused at the limit.
    expect(count(got, 'invalid_code'), got.join(',')).toBe(4);
    expect(count(got, 'challenge_locked'), got.join(',')).toBe(26);
    const left = results.filter((r) => r.json().code === 'invalid_code').map((r) => r.json().attemptsLeft);
    expect(left.sort()).toEqual([1, 2, 3, 4]);
    // The account counted exactly the judged ones.
    expect(await judgedWrongCodes(t, id)).toBe(5);
    expect((await accountState(id)).failures).toBe(5);
    // Even the right code no longer passes this challenge.
    expect((await c.post(VERIFY, { method: 'totp', code: codeFor(t, secret) })).json().code).toBe('challenge_locked');
    expect(await judgedWrongCodes(t, id)).toBe(5);
  });

  it('parallel wrong codes across 8 pending sign-ins of one account: 10 are judged, then the account locks and the owner is emailed once', async () => {
    const { id, email, secret } = await customerWithTOTP();
    const signIns = await oneAfterAnother(8, () => pendingSignIn(email));
    // 8 sign-ins × 6 = 48 requests, authenticator and recovery codes mixed: up to 40 could pass
    // their challenge's limit, 10 the account's.
    const results = await Promise.all(signIns.flatMap((c, i) => Array.from({ length: 6 }, (_, j) => c.post(VERIFY, WRONG_BY_METHOD[METHODS[(i + j) % 2]]))));
    const got = codes(results);
    expect(got.every((x) => ['invalid_code', 'challenge_locked', 'account_locked'].includes(x)), got.join(',')).toBe(true);
    expect(await judgedWrongCodes(t, id)).toBe(10);
    // Of the 10 judged, the tenth locked the account; the other 9 answered with tries left
    // or, as the fifth on their challenge, challenge_locked.
    expect(count(got, 'invalid_code'), got.join(',')).toBeLessThanOrEqual(9);
    expect(count(got, 'account_locked'), got.join(',')).toBeGreaterThanOrEqual(1);
    const state = await accountState(id);
    expect(state.failures).toBe(10);
    expect(state.lockedUntil! > t.clock.now().toISOString()).toBe(true);
    expect(await mailsAfterSettling(email, 'Two-step verification locked')).toBe(1);
    const locked = await (await pendingSignIn(email)).post(VERIFY, { method: 'totp', code: codeFor(t, secret) });
    expect(locked.statusCode).toBe(429);
    expect(locked.json().code).toBe('account_locked');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    expect(await judgedWrongCodes(t, id)).toBe(10);
    // The lock ends after 15 minutes, and the right code then passes.
    t.clock.advance(15 * 60_000 + 1000);
    expect((await (await pendingSignIn(email)).post(VERIFY, { method: 'totp', code: codeFor(t, secret) })).statusCode).toBe(200);
    expect((await accountState(id)).failures).toBe(0);
  });

  it('a right code still passes after 4 wrong ones, and clears the account counter', async () => {
    const { id, email, secret } = await customerWithTOTP();
    const c = await pendingSignIn(email);
    for (let i = 1; i <= 4; i++) expect((await c.post(VERIFY, WRONG)).json().attemptsLeft).toBe(5 - i);
    expect((await accountState(id)).failures).toBe(4);
    const r = await c.post(VERIFY, { method: 'totp', code: codeFor(t, secret) });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().state).toBe('authenticated');
    expect((await accountState(id)).failures).toBe(0);
  });

  it('a right code as the 10th or the 100th check passes, and lifts the lock that check set as it was taken', async () => {
    const { id, email, secret } = await customerWithTOTP();
    // 9 failures: the next check takes the 10th, which locks the account while it is judged.
    for (let i = 0; i < 9; i += 5) {
      const c = await pendingSignIn(email);
      for (let j = 0; j < Math.min(5, 9 - i); j++) await c.post(VERIFY, WRONG);
    }
    expect((await accountState(id)).failures).toBe(9);
    const tenth = await (await pendingSignIn(email)).post(VERIFY, { method: 'totp', code: codeFor(t, secret) });
    expect(tenth.statusCode, tenth.body).toBe(200);
    expect(await accountState(id)).toEqual({ failures: 0, lockedUntil: null, hardLocked: false });
    // 99 consecutive failures (set where the API would have left them): the 100th check passes.
    await t.ctx.db.updateTable('mfa_accounts').set({ failures: 99 }).where('owner_kind', '=', 'contact').where('owner_id', '=', id).execute();
    nextStep(t);
    const hundredth = await (await pendingSignIn(email)).post(VERIFY, { method: 'totp', code: codeFor(t, secret) });
    expect(hundredth.statusCode, hundredth.body).toBe(200);
    expect(await accountState(id)).toEqual({ failures: 0, lockedUntil: null, hardLocked: false });
    // No lock was announced.
    expect(t.mail.to(email).filter((m) => m.subject.includes('Two-step verification locked'))).toHaveLength(0);
  });

  it('a request refused before its code is judged counts nowhere', async () => {
    const { id, email, secret } = await customerWithTOTP();
    const c = await pendingSignIn(email);
    // A passkey answer without asking for a challenge first is refused, not judged.
    for (let i = 0; i < 6; i++) {
      const r = await c.post(VERIFY, { method: 'webauthn', response: { id: 'x', rawId: 'x', type: 'public-key', response: {} } });
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json().detail).toMatch(/passkey challenge first/);
    }
    expect(await judgedWrongCodes(t, id)).toBe(0);
    expect((await accountState(id)).failures).toBe(0);
    // The challenge still has its 5 tries.
    expect((await c.post(VERIFY, WRONG)).json().attemptsLeft).toBe(4);
    expect((await c.post(VERIFY, { method: 'totp', code: codeFor(t, secret) })).statusCode).toBe(200);
  });

  it.each(METHODS)('a right code (%s) racing wrong ones on one pending sign-in: as one after the other', async (method) => {
    // Recovery codes cost argon2 work to set up and to check: fewer rounds.
    for (let round = 0; round < (method === 'totp' ? 5 : 3); round++) {
      const { id, email, secret, recoveryCodes } = await customerWithTOTP();
      const c = await pendingSignIn(email);
      const right = method === 'totp' ? { method, code: codeFor(t, secret) } : { method, code: recoveryCodes![0] };
      // The right code somewhere among 9 wrong ones, all at once.
      const at = round * 2;
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => c.post(VERIFY, i === at ? right : WRONG_BY_METHOD[method])));
      const got = codes(results);
      const judged = await judgedWrongCodes(t, id);
      expect(count(got, 'ok'), got.join(',')).toBeLessThanOrEqual(1);
      if (got[at] === 'ok') {
        // The right code was one of the first 5 tries: at most 4 wrong ones were judged (before
        // it, in some order); the others found the sign-in completed (401) or the challenge used.
        expect(judged, got.join(',')).toBeLessThanOrEqual(4);
        expect(got.every((x) => ['ok', 'invalid_code', 'challenge_locked', 'unauthenticated'].includes(x)), got.join(',')).toBe(true);
        expect(count(got, 'invalid_code') + count(got, 'challenge_locked'), got.join(',')).toBeGreaterThanOrEqual(judged);
      } else {
        // Five wrong codes came first and used the challenge up: the right one was refused.
        expect(got[at], got.join(',')).toBe('challenge_locked');
        expect(judged, got.join(',')).toBe(5);
        expect(count(got, 'invalid_code'), got.join(',')).toBe(4);
        expect(count(got, 'challenge_locked'), got.join(',')).toBe(6);
      }
      // Never more counted than judged, and never a lock.
      const state = await accountState(id);
      expect(state.failures).toBeLessThanOrEqual(judged);
      expect(state.lockedUntil === null || state.lockedUntil <= t.clock.now().toISOString()).toBe(true);
      // Whatever the order, the owner signs in with the next code.
      nextStep(t);
      const again = await pendingSignIn(email);
      expect((await again.post(VERIFY, { method: 'totp', code: codeFor(t, secret) })).statusCode).toBe(200);
    }
  }, 90_000);

  it.each(METHODS)('a step-up allows 5 wrong codes (%s) under concurrency too, each counted once on the account', async (method) => {
    const { client, id, secret } = await (async () => {
      const { client, email, id } = await signUpContact(t);
      const { secret } = await enrollTOTP(t, client);
      nextStep(t);
      return { client, email, id, secret };
    })();
    client.headers['x-csrf-token'] = await client.csrfToken('/api/v1/auth/step-up');
    const results = await Promise.all(Array.from({ length: 30 }, () => client.post('/api/v1/auth/step-up', WRONG_BY_METHOD[method])));
    const got = codes(results);
    // As one after the other: 5 judged (tries left 4..0), then the challenge is used up.
    expect(count(got, 'invalid_code'), got.join(',')).toBe(5);
    expect(count(got, 'challenge_locked'), got.join(',')).toBe(25);
    expect(results.filter((r) => r.json().code === 'invalid_code').map((r) => r.json().attemptsLeft).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(await judgedWrongCodes(t, id)).toBe(5);
    expect((await accountState(id)).failures).toBe(5);
    expect((await client.post('/api/v1/auth/step-up', { method: 'totp', code: codeFor(t, secret) })).json().code).toBe('challenge_locked');
  });
});
