import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import type { Client } from './helpers/client.js';

// PRODUCT.md §7: per-account back-off on password guesses. Changing the password or the email
// address asks for the current password; without the back-off there, whoever holds a stolen
// session of an account without MFA could guess the password as fast as they liked, then change
// it. Those checks share the sign-in's per-account count: 5 free wrong passwords, then each
// further try waits (1 s, 2 s, …), whichever of the three routes it comes through.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const changePassword = (c: Client, current: string) => c.post('/api/v1/me/password', { currentPassword: current, newPassword: `new password ${randomBytes(3).toString('hex')}` });
const changeEmail = (c: Client, password: string) => c.post('/api/v1/me/email', { email: `moved-${randomBytes(3).toString('hex')}@example.com`, password });

function expectProblem(r: { statusCode: number; headers: Record<string, unknown>; json(): { code: string } }, status: number, code: string) {
  expect(r.statusCode).toBe(status);
  expect(String(r.headers['content-type'])).toContain('application/problem+json');
  expect(r.json().code).toBe(code);
}

describe('the current-password check of a signed-in person', () => {
  for (const [route, attempt, okStatus] of [
    ['POST /me/password', changePassword, 200],
    ['POST /me/email', changeEmail, 202],
  ] as const) {
    it(`${route}: 5 wrong passwords, then it waits — the right one too, and sign-in as well`, async () => {
      const victim = await signUpContact(t);
      const stolen = victim.client;
      for (let i = 0; i < 5; i++) expectProblem(await attempt(stolen, `guess ${i}`), 401, 'invalid_credentials');
      // The sixth guess waits, and so does the right password: a guesser learns nothing.
      expectProblem(await attempt(stolen, 'guess 5'), 429, 'rate_limited');
      expectProblem(await attempt(stolen, PASSWORD), 429, 'rate_limited');
      // The count is the account's: signing in with the password waits too.
      expectProblem(await t.client().post('/api/v1/auth/login', { email: victim.email, password: PASSWORD }), 429, 'rate_limited');
      // Nothing changed: the password still signs in once the wait is over.
      t.clock.advance(1_000);
      const own = t.client();
      expect((await own.post('/api/v1/auth/login', { email: victim.email, password: PASSWORD })).statusCode).toBe(200);
      // And the route itself takes the right password again.
      expect((await attempt(own, PASSWORD)).statusCode).toBe(okStatus);
    });
  }

  it('a right password after a few wrong ones clears the count', async () => {
    const victim = await signUpContact(t);
    for (let i = 0; i < 4; i++) expectProblem(await changeEmail(victim.client, `guess ${i}`), 401, 'invalid_credentials');
    expect((await changeEmail(victim.client, PASSWORD)).statusCode).toBe(202);
    for (let i = 0; i < 5; i++) expectProblem(await changeEmail(victim.client, `guess again ${i}`), 401, 'invalid_credentials');
  });

  it('of many wrong guesses at once only the 5 free ones are checked, and afterwards the account waits', async () => {
    const victim = await signUpContact(t);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => changePassword(victim.client, `parallel ${i}`)));
    const codes = answers.map((r) => r.json().code);
    expect(codes.filter((c) => c === 'invalid_credentials')).toHaveLength(5);
    expect(codes.filter((c) => c === 'rate_limited')).toHaveLength(15);
    // Afterwards the account waits, however the twenty interleaved.
    expectProblem(await changePassword(victim.client, PASSWORD), 429, 'rate_limited');
  });
});
