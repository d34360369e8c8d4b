import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, oneAfterAnother, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, judgedWrongCodes, nextStep } from './helpers/mfa.js';
import type { Client } from './helpers/client.js';

/**
 * PRODUCT.md §7 (10 failures lock the second step; "the result is always one of the serial
 * orders"): an authenticator code is judged first and its answer decided as it commits. With 9
 * failures on the account, one right code and five wrong ones sent at once from six pending
 * sign-ins can end in only two ways, as if one after the other:
 * - the right code first: it signs in and ends the run of failures, and the five wrong ones
 *   then count from zero (each "invalid_code", 5 failures, no lock);
 * - a wrong code first: it is the 10th failure and locks the account (one email), and every
 *   other request, the right code too, is answered "account_locked" with nothing counted,
 *   so that no answer past the lock tells whether its code was right.
 * Anything else (a right code let in while a racing wrong code was answered as locked, or a
 * right code refused with fewer than 10 failures) is not a serial order. Many rounds, both
 * databases.
 */

const ROUNDS = 10;
const VERIFY = '/api/v1/auth/mfa/verify';

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
  c.headers['x-csrf-token'] = await c.csrfToken(VERIFY);
  return c;
}

const answer = (r: LightMyRequestResponse): string => (r.statusCode === 200 ? 'ok' : String(r.json().code));

describe('the account limit answers authenticator codes as one after the other', () => {
  it(`1 right and 5 wrong codes at the 9th failure, ${ROUNDS} rounds`, async () => {
    const seen = { rightFirst: 0, wrongFirst: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const { client, email, id } = await signUpContact(t);
      const { secret } = await enrollTOTP(t, client);
      nextStep(t);
      // 9 wrong codes, one after the other, over two sign-ins (a challenge allows 5).
      for (const n of [5, 4]) {
        const c = await pendingSignIn(email);
        for (let i = 1; i <= n; i++) expect(answer(await c.post(VERIFY, { method: 'totp', code: '000000' }))).toBe(i === 5 ? 'challenge_locked' : 'invalid_code');
      }
      const signIns = await oneAfterAnother(6, () => pendingSignIn(email));
      // The right code's place moves from round to round.
      const at = round % 6;
      const results = await Promise.all(signIns.map((c, i) => c.post(VERIFY, i === at ? { method: 'totp', code: codeFor(t, secret) } : { method: 'totp', code: '000000' })));
      const got = results.map(answer);
      const why = got.join(',');
      for (const r of results) if (r.statusCode !== 200) expect(r.headers['content-type'], why).toContain('application/problem+json');
      const row = await t.ctx.db.selectFrom('mfa_accounts').selectAll().where('owner_kind', '=', 'contact').where('owner_id', '=', id).executeTakeFirstOrThrow();
      const locks = t.mail.to(email).filter((m) => m.subject.includes('Two-step verification locked'));
      if (got[at] === 'ok') {
        seen.rightFirst++;
        expect(got.filter((x) => x === 'invalid_code'), why).toHaveLength(5);
        expect(Number(row.failures), why).toBe(5);
        expect(row.locked_until, why).toBeNull();
        expect(await judgedWrongCodes(t, id), why).toBe(9 + 5);
      } else {
        seen.wrongFirst++;
        expect(got, why).toEqual(Array(6).fill('account_locked'));
        expect(Number(row.failures), why).toBe(10);
        expect(row.locked_until! > t.clock.now().toISOString(), why).toBe(true);
        expect(await judgedWrongCodes(t, id), why).toBe(9 + 1);
        await t.mail.waitFor(email, 'Two-step verification locked');
        expect(t.mail.to(email).filter((m) => m.subject.includes('Two-step verification locked')), why).toHaveLength(1);
      }
      if (got[at] === 'ok') expect(locks, why).toHaveLength(0);
    }
    console.log('1 right and 5 wrong codes at the 9th failure:', seen);
  }, 120_000);
});
