import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_LOGIN_PER_MINUTE: '3', RATE_LIMIT_SIGNUP_PER_HOUR: '2', RATE_LIMIT_PASSWORD_RESET_PER_HOUR: '2' } });
});
afterAll(async () => {
  await t.close();
});

function expectLimited(r: { statusCode: number; headers: Record<string, unknown>; json(): any }) {
  expect(r.statusCode).toBe(429);
  expect(String(r.headers['content-type'])).toContain('application/problem+json');
  expect(r.json().code).toBe('rate_limited');
  const retry = Number(r.headers['retry-after']);
  expect(retry).toBeGreaterThan(0);
  expect(r.json().retryAfter).toBe(retry);
  return retry;
}

describe('rate limits: per IP on sign-in, sign-up and password reset, per account on wrong passwords', () => {
  it('limits sign-in per IP per minute, then lets it through again after the window', async () => {
    await t.ctx.db.deleteFrom('rate_limits').execute();
    const c = t.client();
    for (let i = 0; i < 3; i++) expect((await c.post('/api/v1/staff-auth/login', { email: `x${i}@example.com`, password: 'x' })).statusCode).toBe(401);
    const retry = expectLimited(await c.post('/api/v1/staff-auth/login', { email: 'y@example.com', password: 'x' }));
    expect(retry).toBeLessThanOrEqual(60);
    // The customer sign-in has its own counter.
    expect((await c.post('/api/v1/auth/login', { email: 'z@example.com', password: 'x' })).statusCode).toBe(401);
    t.clock.advance(retry * 1000);
    expect((await c.post('/api/v1/staff-auth/login', { email: 'y@example.com', password: 'x' })).statusCode).toBe(401);
  });

  it('limits sign-up per IP per hour', async () => {
    await t.ctx.db.deleteFrom('rate_limits').execute();
    const c = t.client();
    for (let i = 0; i < 2; i++) expect((await c.post('/api/v1/auth/signup', { email: `s${i}-${Date.now()}@example.com`, password: PASSWORD, name: 'S' })).statusCode).toBe(201);
    const before = await t.ctx.db.selectFrom('contacts').select('id').execute();
    const retry = expectLimited(await c.post('/api/v1/auth/signup', { email: `s9-${Date.now()}@example.com`, password: PASSWORD, name: 'S' }));
    expect(retry).toBeGreaterThan(60);
    expect(await t.ctx.db.selectFrom('contacts').select('id').execute()).toHaveLength(before.length);
  });

  it('limits forgotten-password requests per IP per hour', async () => {
    await t.ctx.db.deleteFrom('rate_limits').execute();
    const c = t.client();
    for (let i = 0; i < 2; i++) expect((await c.post('/api/v1/auth/password/forgot', { email: 'a@example.com' })).statusCode).toBe(202);
    expectLimited(await c.post('/api/v1/auth/password/forgot', { email: 'a@example.com' }));
  });

  it('backs off one account after 5 wrong passwords, even for the right one, known or unknown email alike', async () => {
    await t.ctx.db.deleteFrom('rate_limits').execute();
    const { email } = await signUpContact(t);
    await t.ctx.db.deleteFrom('rate_limits').execute();
    const c = t.client();
    const tryLogin = async (e: string, p: string) => {
      // Stay under the per-IP limit: this test is about the per-account back-off.
      await t.ctx.db.deleteFrom('rate_limits').where('key', 'like', 'login:%').execute();
      return c.post('/api/v1/auth/login', { email: e, password: p });
    };
    for (let i = 0; i < 5; i++) expect((await tryLogin(email, 'wrong password')).statusCode).toBe(401);
    const r = await tryLogin(email, PASSWORD);
    expect(expectLimited(r)).toBe(1);
    // Another account is unaffected.
    const other = await signUpContact(t);
    expect((await tryLogin(other.email, PASSWORD)).statusCode).toBe(200);
    t.clock.advance(1000);
    expect((await tryLogin(email, 'wrong again')).statusCode).toBe(401);
    // The wait doubles.
    expect(expectLimited(await tryLogin(email, PASSWORD))).toBe(2);
    t.clock.advance(2000);
    expect((await tryLogin(email, PASSWORD)).statusCode).toBe(200);
    // Success clears the count.
    expect((await tryLogin(email, 'wrong password')).statusCode).toBe(401);
    expect((await tryLogin(email, PASSWORD)).statusCode).toBe(200);

    const unknown = `ghost-${Date.now()}@example.com`;
    for (let i = 0; i < 5; i++) expect((await tryLogin(unknown, 'whatever')).statusCode).toBe(401);
    expect(expectLimited(await tryLogin(unknown, 'whatever'))).toBe(1);
  });
});
