import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';

// API.md: TRUST_PROXY takes "`true`, a hop count, or addresses". Fastify 5.12 ignores a bare
// number on purpose (it then believes no forwarding header at all), so TRUST_PROXY=1 used to do
// nothing: a login through the proxy was counted against, and audited as, the proxy's own
// address. A hop count n now trusts the n proxies nearest Portico: the client is the address
// the farthest of them saw.

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

let n = 0;
async function failedSignIn(app: TestApp, forwardedFor: string) {
  return app.client().post('/api/v1/auth/login', { email: `nobody-${n++}@example.com`, password: 'not the password' }, { 'x-forwarded-for': forwardedFor });
}

/** The IP of the newest failed sign-in in the audit log: request.ip as Portico saw it. */
async function lastFailureIP(app: TestApp): Promise<string | null> {
  const row = await app.ctx.db.selectFrom('audit_events').select('ip').where('action', '=', 'auth.login.failed').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
  return row.ip;
}

describe('TRUST_PROXY as a hop count', () => {
  it('TRUST_PROXY=1 takes the client from X-Forwarded-For, for the audit log and the per-IP limit', async () => {
    t = await createTestApp({ env: { TRUST_PROXY: '1', RATE_LIMIT_LOGIN_PER_MINUTE: '2' } });
    expect(t.config.trustProxy).toBe(1);
    for (let i = 0; i < 2; i++) {
      expect((await failedSignIn(t, '10.9.9.8')).statusCode).toBe(401);
      expect(await lastFailureIP(t)).toBe('10.9.9.8');
    }
    // The limit is this client's, not the proxy's (127.0.0.1, the peer of every request here).
    const limited = await failedSignIn(t, '10.9.9.8');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('rate_limited');
    expect((await failedSignIn(t, '198.51.100.20')).statusCode).toBe(401);
    expect(await lastFailureIP(t)).toBe('198.51.100.20');
  });

  it('TRUST_PROXY=1 trusts one hop: of `a, b` it takes b, the address the proxy saw, never what the client wrote', async () => {
    t = await createTestApp({ env: { TRUST_PROXY: '1' } });
    expect((await failedSignIn(t, '203.0.113.5, 10.9.9.8')).statusCode).toBe(401);
    expect(await lastFailureIP(t)).toBe('10.9.9.8');
  });

  it('TRUST_PROXY=2 trusts two hops: of `a, b` it takes a', async () => {
    t = await createTestApp({ env: { TRUST_PROXY: '2' } });
    expect((await failedSignIn(t, '203.0.113.5, 10.9.9.8')).statusCode).toBe(401);
    expect(await lastFailureIP(t)).toBe('203.0.113.5');
  });

  it('without TRUST_PROXY (or with 0) the header is ignored: the client is the peer', async () => {
    for (const env of [{}, { TRUST_PROXY: '0' }] as Record<string, string>[]) {
      t = await createTestApp({ env });
      expect((await failedSignIn(t, '10.9.9.8')).statusCode).toBe(401);
      expect(await lastFailureIP(t)).toBe('127.0.0.1');
      await t.close();
      t = null;
    }
  });
});
