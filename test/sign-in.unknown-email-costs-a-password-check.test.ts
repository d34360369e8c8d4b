import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';

// API.md, POST /login: 401 invalid_credentials, "same answer and timing whether or not the
// email exists". An unknown email must cost an argon2id verify like a known one, or an attacker
// can tell which addresses have accounts by the time the answer takes (a verify here is
// ~10 ms; the database work alone well under 1 ms).

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_LOGIN_PER_MINUTE: '1000' } });
});
afterAll(async () => {
  await t.close();
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('sign-in with an unknown email', () => {
  it('answers exactly like a wrong password, after about as long', async () => {
    const { email } = await signUpContact(t);
    const known: number[] = [];
    const unknown: number[] = [];
    // Interleaved, so that whatever else the machine does hits both alike. Five wrong
    // passwords stay under the per-account back-off (it starts after five).
    for (let i = 0; i < 5; i++) {
      for (const [who, into] of [
        [email, known],
        [`nobody-${i}-${email}`, unknown],
      ] as const) {
        const c = t.client();
        await c.get('/api/v1/auth/session');
        const started = performance.now();
        const r = await c.post('/api/v1/auth/login', { email: who, password: 'not the password at all' });
        into.push(performance.now() - started);
        expect(r.statusCode).toBe(401);
        expect(r.json()).toMatchObject({ code: 'invalid_credentials', detail: 'Email or password is wrong' });
      }
    }
    // Without the dummy verify an unknown email would answer in a small fraction of the time.
    expect(median(unknown), `unknown ${unknown.map((x) => x.toFixed(1))} vs known ${known.map((x) => x.toFixed(1))}`).toBeGreaterThan(0.4 * median(known));
  });
});
