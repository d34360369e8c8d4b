import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// An identity check allows 5 tries (API.md). Each try is taken by one conditional write, so
// guesses fired in parallel cannot get more than 5 judged, and a right code confirms the check
// exactly once however many confirmations race. Runs on SQLite and on PostgreSQL.

let t: TestApp;
let sup: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  sup = await staffWithMFA(t, 'supervisor');
});
afterAll(async () => {
  await t.close();
});

const PARALLEL = 20;

/** Starts a check on a new contact (after a fresh step-up) and reads the code from the real email. */
async function startCheck(): Promise<{ contactID: string; checkID: string; code: string; wrong: string }> {
  const { id, email } = await signUpContact(t);
  await sup.stepUp();
  const started = await sup.client.post(`/api/v1/contacts/${id}/identity-checks`, {});
  expect(started.statusCode, started.body).toBe(201);
  const mail = await t.mail.waitFor(email, 'verification code');
  const code = /verification code is (\d{6})/.exec(mail.text)![1];
  return { contactID: id, checkID: started.json().id, code, wrong: code === '000000' ? '111111' : '000000' };
}

/** Fires the same confirmation PARALLEL times at once (the CSRF token fetched beforehand). */
async function confirmInParallel(contactID: string, checkID: string, code: string): Promise<LightMyRequestResponse[]> {
  const url = `/api/v1/contacts/${contactID}/identity-checks/${checkID}/confirm`;
  const csrf = await sup.client.csrfToken(url);
  return Promise.all(Array.from({ length: PARALLEL }, () => sup.client.post(url, { code }, { 'x-csrf-token': csrf })));
}

/** Wrong identity codes the server judged: each one is an `mfa.challenge.failed` audit entry. */
async function judgedWrongCodes(contactID: string): Promise<number> {
  const items = (await sup.client.get(`/api/v1/audit-events?contactId=${contactID}&action=mfa.challenge.failed&limit=200`)).json().items as Array<{ details: { check: string } }>;
  return items.filter((e) => e.details.check === 'identity_check').length;
}

async function attempts(checkID: string): Promise<number> {
  const row = await t.ctx.db.selectFrom('identity_checks').select('attempts').where('id', '=', checkID).executeTakeFirstOrThrow();
  return Number(row.attempts);
}

describe('an identity check allows 5 tries, also under concurrency', () => {
  it(`${PARALLEL} parallel wrong codes: exactly 5 are judged, each counted on the account; the right code is refused afterwards`, async () => {
    const { contactID, checkID, code, wrong } = await startCheck();
    const results = await confirmInParallel(contactID, checkID, wrong);
    for (const r of results) {
      expect(r.statusCode, r.body).toBe(400);
      expect(r.headers['content-type']).toContain('application/problem+json');
      expect(r.json().code).toBe('invalid_code');
    }
    expect(await attempts(checkID)).toBe(5);
    expect(await judgedWrongCodes(contactID)).toBe(5);
    // PRODUCT.md §7: one per-account counter covers every code check, identity codes included.
    expect((await sup.client.get(`/api/v1/contacts/${contactID}/mfa`)).json().lock.consecutiveFailures).toBe(5);

    const late = await sup.client.post(`/api/v1/contacts/${contactID}/identity-checks/${checkID}/confirm`, { code });
    expect(late.statusCode).toBe(400);
    expect(late.json().code).toBe('invalid_code');
    const row = await t.ctx.db.selectFrom('identity_checks').selectAll().where('id', '=', checkID).executeTakeFirstOrThrow();
    expect(row.verified_at).toBeNull();
    // A refused try is not judged, so it counts nowhere.
    expect(await attempts(checkID)).toBe(5);
    expect(await judgedWrongCodes(contactID)).toBe(5);
    // The unconfirmed check is good for no action.
    const reset = await sup.client.post(`/api/v1/contacts/${contactID}/mfa/reset`, { reason: 'caller read a code', verification: { method: 'email_code', checkId: checkID } });
    expect(reset.statusCode).toBe(400);
  });

  it(`${PARALLEL} parallel right codes: exactly one confirms the check`, async () => {
    const { contactID, checkID, code } = await startCheck();
    const results = await confirmInParallel(contactID, checkID, code);
    const ok = results.filter((r) => r.statusCode === 200);
    expect(ok).toHaveLength(1);
    expect(ok[0].json()).toEqual({ verified: true });
    for (const r of results.filter((x) => x.statusCode !== 200)) {
      expect([409, 400], r.body).toContain(r.statusCode);
      expect(['conflict', 'invalid_code']).toContain(r.json().code);
    }
    const confirmed = (await sup.client.get(`/api/v1/audit-events?contactId=${contactID}&action=identity_check.confirmed`)).json().items;
    expect(confirmed).toHaveLength(1);
    expect(await judgedWrongCodes(contactID)).toBe(0);
    expect(await attempts(checkID)).toBeLessThanOrEqual(5);
  });

  it('after 4 wrong codes, one try is left: of parallel right codes exactly one confirms', async () => {
    const { contactID, checkID, code, wrong } = await startCheck();
    for (let i = 0; i < 4; i++) {
      const r = await sup.client.post(`/api/v1/contacts/${contactID}/identity-checks/${checkID}/confirm`, { code: wrong });
      expect(r.json().code).toBe('invalid_code');
    }
    const results = await confirmInParallel(contactID, checkID, code);
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(await attempts(checkID)).toBe(5);
    expect(await judgedWrongCodes(contactID)).toBe(4);
  });
});
