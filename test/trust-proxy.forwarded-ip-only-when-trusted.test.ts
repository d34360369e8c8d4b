import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';

// PRODUCT.md §7: behind a proxy, client IPs are taken from forwarding headers only when
// TRUST_PROXY says so. Otherwise anyone could pick their own IP with a header: dodge the per-IP
// sign-in limit, and write a false address into the audit log.

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

async function failedSignIn(app: TestApp, forwardedFor: string, n: number) {
  const c = app.client();
  const r = await c.post('/api/v1/auth/login', { email: `nobody-${n}@example.com`, password: 'not the password' }, { 'x-forwarded-for': forwardedFor });
  return r;
}

async function lastFailureIP(app: TestApp): Promise<string | null> {
  const row = await app.ctx.db.selectFrom('audit_events').select('ip').where('action', '=', 'auth.login.failed').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
  return row.ip;
}

describe('client IPs and forwarding headers', () => {
  it('without TRUST_PROXY, X-Forwarded-For is ignored: the audit log keeps the real peer and a new header each try does not reset the per-IP limit', async () => {
    t = await createTestApp({ env: { RATE_LIMIT_LOGIN_PER_MINUTE: '3' } });
    for (let i = 0; i < 3; i++) {
      const r = await failedSignIn(t, `203.0.113.${i + 1}`, i);
      expect(r.statusCode).toBe(401);
      expect(await lastFailureIP(t)).toBe('127.0.0.1');
    }
    const limited = await failedSignIn(t, '198.51.100.99', 9);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('rate_limited');
  });

  it('with TRUST_PROXY naming the proxy, the client IP comes from X-Forwarded-For, and limits are per client', async () => {
    t = await createTestApp({ env: { RATE_LIMIT_LOGIN_PER_MINUTE: '3', TRUST_PROXY: '127.0.0.1' } });
    for (let i = 0; i < 3; i++) {
      expect((await failedSignIn(t, '203.0.113.7', i)).statusCode).toBe(401);
      expect(await lastFailureIP(t)).toBe('203.0.113.7');
    }
    expect((await failedSignIn(t, '203.0.113.7', 3)).statusCode).toBe(429);
    // Another client behind the same proxy still gets its own tries.
    expect((await failedSignIn(t, '198.51.100.20', 4)).statusCode).toBe(401);
    expect(await lastFailureIP(t)).toBe('198.51.100.20');
  });

  it('a proxy that is not the trusted one cannot set the client IP', async () => {
    t = await createTestApp({ env: { TRUST_PROXY: '10.9.9.9' } });
    expect((await failedSignIn(t, '203.0.113.7', 0)).statusCode).toBe(401);
    expect(await lastFailureIP(t)).toBe('127.0.0.1');
  });
});
