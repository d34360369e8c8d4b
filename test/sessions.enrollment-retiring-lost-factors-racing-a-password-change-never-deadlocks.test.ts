import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestApp, dialectUnderTest, PASSWORD, type TestApp } from './helpers/app.js';
import { codeFor, nextStep, secretFromBase32, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { rememberedBrowser, signedOutCustomer } from './helpers/remembered-devices.js';
import { holdLock, settled, waitForLockWaits } from './helpers/pg-locks.js';
import type { Client } from './helpers/client.js';

// An enrollment that retires lost factors ends every other session of the person and keeps its
// own (mfa/service.ts afterFactorAdded); so do a password change and "sign out everywhere", each
// keeping theirs. Two such transactions each delete the session the other has yet to rotate: on
// PostgreSQL, unless both queue on one lock first, they deadlock, and one of them is answered
// 409 — perhaps the owner recovering the account, against the phisher changing the password.
// Forced here: the enrollment has ended the phisher's session and waits on a remembered
// browser's row (held by the test) when the phisher's password change starts.

let t: TestApp;
let sup: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  sup = await staffWithMFA(t, 'supervisor');
});
afterAll(async () => {
  await t.close();
});

/** The owner recovering with a temporary code, a new app's enrollment started; the phisher signed in, with a remembered browser. */
async function ownerRecoveringWhilePhisherIsIn() {
  const c = await signedOutCustomer(t);
  await rememberedBrowser(t, c);
  nextStep(t);
  const phisher = t.client();
  await phisher.post('/api/v1/auth/login', { email: c.email, password: PASSWORD });
  expect((await phisher.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, c.secret) })).json().state).toBe('authenticated');
  await sup.stepUp();
  const issued = await sup.client.post(`/api/v1/contacts/${c.id}/mfa/temporary-codes`, { reason: 'phone stolen, verified by callback', verification: { method: 'callback' } });
  expect(issued.statusCode, issued.body).toBe(201);
  const owner = t.client();
  await owner.post('/api/v1/auth/login', { email: c.email, password: PASSWORD });
  expect((await owner.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code: issued.json().code })).json().state).toBe('enrollment_required');
  const start = await owner.post('/api/v1/me/mfa/totp');
  expect(start.statusCode, start.body).toBe(201);
  return { c, phisher, owner, factorId: start.json().factorId as string, secret: secretFromBase32(start.json().secret) };
}

const not409or500 = (r: { ok: true; value: { statusCode: number; body: string } } | { ok: false; error: string }) => {
  expect(r.ok, r.ok ? '' : r.error).toBe(true);
  if (r.ok) expect([409, 500], r.value.body).not.toContain(r.value.statusCode);
};

describe.skipIf(dialectUnderTest !== 'postgres')('an enrollment retiring lost factors, racing the phisher', () => {
  // What the phisher's request gets, after the enrollment ended its session: refused, as from
  // any ended session (signing out everywhere must not end the owner's new one).
  for (const [name, act, answers] of [
    ['changing the password', (p: Client) => p.post('/api/v1/me/password', { currentPassword: PASSWORD, newPassword: 'the phisher wants it' }), [401]],
    ['signing out everywhere', (p: Client) => p.post('/api/v1/auth/logout-everywhere'), [401]],
  ] as const) {
    it(`${name}: the two queue, never deadlock; the owner's enrollment stands and the phisher's session is gone`, async () => {
      const { c, phisher, owner, factorId, secret } = await ownerRecoveringWhilePhisherIsIn();
      const pause = holdLock(t, (trx) => sql`select id from remembered_devices where owner_id = ${c.id} for update`.execute(trx));
      await pause.held;
      const enrolled = settled(owner.post(`/api/v1/me/mfa/totp/${factorId}/confirm`, { code: codeFor(t, secret) }));
      let phishing: ReturnType<typeof settled<Awaited<ReturnType<typeof act>>>> | undefined;
      try {
        await waitForLockWaits(t, 1);
        phishing = settled(act(phisher));
        await waitForLockWaits(t, 2);
      } finally {
        await pause.release();
      }
      const [e, p] = [await enrolled, await phishing!];
      not409or500(e);
      not409or500(p);
      // Serially: the enrollment, then the phisher's request from a session it ended.
      expect(e.ok && e.value.json().state).toBe('authenticated');
      expect(answers).toContain(p.ok && p.value.statusCode);
      expect((await phisher.get('/api/v1/me/mfa')).statusCode).toBe(401);
      expect((await owner.get('/api/v1/me/mfa')).statusCode).toBe(200);
      expect((await t.client().post('/api/v1/auth/login', { email: c.email, password: PASSWORD })).json().state).toBe('mfa_required');
    });
  }
});
