import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';

/**
 * PRODUCT.md §7: per-IP limits on sign-in, sign-up and password reset. A client on IPv6 is
 * routinely given a whole /64 network, so a limit counted per IPv6 address let it take a fresh
 * address for every guess. Addresses of one /64 now count as one client (behind a trusted proxy
 * here, so that the test can choose the client's address).
 */
let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

const failedSignIn = (app: TestApp, ip: string, n: number) =>
  app.client().post('/api/v1/auth/login', { email: `nobody-${n}@example.com`, password: 'not the password' }, { 'x-forwarded-for': ip });

describe('per-IP limits and IPv6', () => {
  it('counts every address of one /64 together, and another /64 apart', async () => {
    t = await createTestApp({ env: { RATE_LIMIT_LOGIN_PER_MINUTE: '3', TRUST_PROXY: '127.0.0.1' } });
    const sameNetwork = ['2001:db8:7:1::1', '2001:db8:7:1::2', '2001:db8:7:1:a:b:c:d'];
    for (const [i, ip] of sameNetwork.entries()) expect((await failedSignIn(t, ip, i)).statusCode, ip).toBe(401);
    const fourth = await failedSignIn(t, '2001:db8:7:1:ffff::99', 3);
    expect(fourth.statusCode).toBe(429);
    expect(fourth.json().code).toBe('rate_limited');
    // The audit log still names the address itself.
    const row = await t.ctx.db.selectFrom('audit_events').select('ip').where('action', '=', 'auth.login.failed').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(row.ip).toBe('2001:db8:7:1:a:b:c:d');
    // Another network is another client.
    expect((await failedSignIn(t, '2001:db8:7:2::1', 4)).statusCode).toBe(401);
  });

  it('counts sign-ups from one /64 together', async () => {
    t = await createTestApp({ env: { RATE_LIMIT_SIGNUP_PER_HOUR: '2', TRUST_PROXY: '127.0.0.1' } });
    const signUp = (ip: string, n: number) =>
      t!.client().post('/api/v1/auth/signup', { email: `v6-${n}@example.com`, password: 'long enough password', name: 'V6' }, { 'x-forwarded-for': ip });
    expect((await signUp('2001:db8:9:9::1', 0)).statusCode).toBe(201);
    expect((await signUp('2001:db8:9:9::2', 1)).statusCode).toBe(201);
    expect((await signUp('2001:db8:9:9::3', 2)).statusCode).toBe(429);
  });
});
