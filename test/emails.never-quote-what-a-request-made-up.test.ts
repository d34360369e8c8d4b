import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';

/**
 * PRODUCT.md §3: security emails say from where a change came (IP and browser). Anyone can send
 * any User-Agent, and behind a trusted proxy any X-Forwarded-For: an email that quoted them let
 * an attacker write "Security alert: confirm now at https://…" into a genuine password-reset
 * email to their target (mail clients turn the address into a link). The browser is named from
 * a fixed list only, and only an IP address is shown, or stored, as the address.
 */
let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

const lure = 'Security alert: confirm now at https://portico-help.example/r';

async function resetEmail(app: TestApp, headers: Record<string, string>) {
  const c = await signUpContact(app);
  const r = await app.client().post('/api/v1/auth/password/forgot', { email: c.email }, headers);
  expect(r.statusCode, r.body).toBe(202);
  return app.mail.waitFor(c.email, /reset/i);
}

describe('security emails never quote what a request made up', () => {
  it('a user agent that names no known browser is "an unknown browser", not its text', async () => {
    t = await createTestApp();
    const mail = await resetEmail(t, { 'user-agent': lure });
    for (const body of [mail.text, mail.html]) {
      expect(body).not.toContain('portico-help.example');
      expect(body).not.toContain('Security alert');
      expect(body).toContain('an unknown browser');
    }
    // A known browser is still named.
    const known = await resetEmail(t, { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36' });
    expect(known.text).toContain('Chrome on Linux');
  });

  it('behind a trusted proxy, a forwarded "address" that is not an IP is shown and audited as unknown', async () => {
    t = await createTestApp({ env: { TRUST_PROXY: '127.0.0.1' } });
    const forged = 'Call us: https://portico-help.example/help';
    const mail = await resetEmail(t, { 'x-forwarded-for': forged });
    for (const body of [mail.text, mail.html]) {
      expect(body).not.toContain('portico-help.example');
      expect(body).toContain('an unknown address');
    }
    const failed = await t.client().post('/api/v1/auth/login', { email: 'nobody@example.com', password: 'not the password' }, { 'x-forwarded-for': forged });
    expect(failed.statusCode).toBe(401);
    const row = await t.ctx.db.selectFrom('audit_events').select('ip').where('action', '=', 'auth.login.failed').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(row.ip).toBeNull();
    // A real forwarded IP is still the client's.
    const real = await resetEmail(t, { 'x-forwarded-for': '203.0.113.7' });
    expect(real.text).toContain('203.0.113.7');
  });
});
