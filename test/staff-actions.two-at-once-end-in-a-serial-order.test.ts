import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, staffWithMFA, type EnrolledTOTP, type StaffWithMFA } from './helpers/mfa.js';
import type { Client } from './helpers/client.js';

/**
 * PRODUCT.md §7: two staff acting on one contact at once (two resets; a reset against a
 * removal, a temporary code or a required setup; and those against each other) end in exactly
 * one of the two serial orders: the answers, the contact's factors and MFA state are those of
 * one order, each action that succeeded wrote one audit entry and queued one email to the
 * customer, and a refused action wrote and sent nothing. Many rounds of real concurrent HTTP
 * requests by two supervisors; the race is real on PostgreSQL.
 */

const ROUNDS = 8;

type Kind = 'reset' | 'remove' | 'temporary' | 'require';

const AUDIT: Record<Kind, string> = {
  reset: 'mfa.reset',
  remove: 'mfa.factor.removed_by_staff',
  temporary: 'mfa.temporary_code.issued',
  require: 'mfa.enrollment_required',
};

let t: TestApp;
let one: StaffWithMFA;
let two: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  one = await staffWithMFA(t, 'supervisor');
  two = await staffWithMFA(t, 'supervisor');
});
afterAll(async () => {
  await t.close();
});

/** A contact with two authenticator apps ("Phone" enrolled first, then "Tablet"). */
async function contactWithTwoFactors(): Promise<{ client: Client; id: string; email: string; phone: EnrolledTOTP; tablet: EnrolledTOTP }> {
  const { client, id, email } = await signUpContact(t);
  const phone = await enrollTOTP(t, client, 'contact', 'Phone');
  nextStep(t);
  expect((await client.post('/api/v1/auth/step-up', { method: 'totp', code: codeFor(t, phone.secret) })).statusCode).toBe(200);
  const tablet = await enrollTOTP(t, client, 'contact', 'Tablet');
  return { client, id, email, phone, tablet };
}

function act(staff: StaffWithMFA, kind: Kind, id: string, tabletID: string, round: number) {
  const reason = `${kind} race ${round}`;
  switch (kind) {
    case 'reset':
      return staff.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason });
    case 'remove':
      return staff.client.delete(`/api/v1/contacts/${id}/mfa/factors/${tabletID}`, { reason });
    case 'temporary':
      return staff.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason });
    case 'require':
      return staff.client.post(`/api/v1/contacts/${id}/mfa/require-enrollment`, { reason });
  }
}

async function state(id: string, email: string) {
  const db = t.ctx.db;
  const factors = (await db.selectFrom('mfa_factors').select(['id', 'status']).where('owner_kind', '=', 'contact').where('owner_id', '=', id).execute()).map((f) => f.id).sort();
  const codes = await db.selectFrom('recovery_codes').select('id').where('owner_kind', '=', 'contact').where('owner_id', '=', id).where('used_at', 'is', null).execute();
  const account = await db.selectFrom('mfa_accounts').selectAll().where('owner_kind', '=', 'contact').where('owner_id', '=', id).executeTakeFirst();
  const temporary = await db.selectFrom('temporary_codes').select(['retire_factor_ids', 'voided_at', 'used_at']).where('owner_kind', '=', 'contact').where('owner_id', '=', id).orderBy('created_at').execute();
  const sessions = await db.selectFrom('sessions').select('id_hash').where('kind', '=', 'contact').where('subject_id', '=', id).where('expires_at', '>', t.clock.now().toISOString()).execute();
  const audit = await db.selectFrom('audit_events').select('action').where('contact_id', '=', id).where('action', 'in', Object.values(AUDIT)).execute();
  const emails = await db.selectFrom('outbox').select('subject').where('recipient', '=', email).execute();
  return {
    factors,
    codes: codes.length,
    setupRequired: account?.setup_required === 1,
    enrollmentRequired: account?.enrollment_required === 1,
    retire: account?.retire_factor_ids ? (JSON.parse(account.retire_factor_ids) as string[]).sort() : null,
    temporary: temporary.map((c) => ({ retire: (JSON.parse(c.retire_factor_ids) as string[]).sort(), live: c.voided_at === null && c.used_at === null })),
    sessions: sessions.length,
    audit: audit.map((a) => a.action),
    emails: emails.length,
  };
}

const ok = (r: { statusCode: number }) => r.statusCode >= 200 && r.statusCode < 300;

const PAIRS: Array<[Kind, Kind]> = [
  ['reset', 'reset'],
  ['reset', 'remove'],
  ['reset', 'temporary'],
  ['reset', 'require'],
  ['remove', 'temporary'],
  ['remove', 'require'],
  ['temporary', 'require'],
  ['temporary', 'temporary'],
  ['require', 'require'],
];

describe('two staff acting on one contact at once end in a serial order', () => {
  it.each(PAIRS)(`%s against %s, ${ROUNDS} rounds`, async (a, b) => {
    for (let round = 0; round < ROUNDS; round++) {
      const { id, email, phone, tablet } = await contactWithTwoFactors();
      const before = await state(id, email);
      await one.stepUp();
      await two.stepUp();
      for (const s of [one, two]) s.client.headers['x-csrf-token'] = await s.client.csrfToken(`/api/v1/contacts/${id}/mfa/reset`);
      const [ra, rb] = await Promise.all([act(one, a, id, tablet.factorId, round), act(two, b, id, tablet.factorId, round)]);
      const answers = { [a]: [] as typeof ra[], [b]: [] as typeof ra[] } as Record<Kind, Array<typeof ra>>;
      answers[a].push(ra);
      answers[b].push(rb);
      const after = await state(id, email);
      const why = JSON.stringify({ a: [a, ra.statusCode, ra.body], b: [b, rb.statusCode, rb.body], after });
      // A refusal is a clear 4xx of the serial order it lost, never a 500.
      for (const r of [ra, rb]) expect([200, 201, 404, 409], why).toContain(r.statusCode);
      // One audit entry and one email to the customer per action that succeeded; none for a refused one.
      const succeeded = [ra, rb].filter(ok).length;
      expect(after.audit.length - before.audit.length, why).toBe(succeeded);
      for (const k of new Set([a, b])) expect(after.audit.filter((x) => x === AUDIT[k]).length, why).toBe(answers[k].filter(ok).length);
      expect(after.emails - before.emails, why).toBe(succeeded);

      const both = [phone.factorId, tablet.factorId].sort();
      const resets = answers.reset ?? [];
      if (resets.length) {
        // Whatever the order, a reset leaves nothing behind, and requires a new setup.
        expect(after, why).toMatchObject({ factors: [], codes: 0, setupRequired: true, enrollmentRequired: false, sessions: 0 });
        for (const r of resets) expect(r.statusCode, why).toBe(200);
        // The reports add up to what the contact had: the two factors and ten codes, once.
        const removed = resets.reduce((n, r) => n + r.json().factorsRemoved, 0) + (answers.remove ?? []).filter(ok).length;
        expect(removed, why).toBe(2);
        expect(resets.reduce((n, r) => n + r.json().recoveryCodesRemoved, 0), why).toBe(10);
      }
      if (a === 'reset' && b === 'reset') {
        expect(resets.map((r) => r.json().factorsRemoved).sort(), why).toEqual([0, 2]);
      }
      if (a === 'reset' && b === 'remove') {
        // The removal first (200, the reset then removes the phone) or the reset first (404).
        expect([200, 404], why).toContain(rb.statusCode);
        expect(ra.json().factorsRemoved, why).toBe(rb.statusCode === 200 ? 1 : 2);
      }
      if (a === 'reset' && b === 'temporary') {
        expect(rb.statusCode, why).toBe(201);
        // The code first: the reset voided it. The reset first: the code lives and retires nothing.
        expect(after.temporary, why).toHaveLength(1);
        const [code] = after.temporary;
        expect(code, why).toEqual(code.live ? { retire: [], live: true } : { retire: both, live: false });
        expect(ra.json().factorsRemoved, why).toBe(2);
      }
      if (a === 'reset' && b === 'require') {
        // The requirement first (then cleared by the reset) or the reset first (nothing to replace: 409).
        expect([200, 409], why).toContain(rb.statusCode);
        expect(after.retire, why).toBeNull();
      }
      if (a === 'remove' && b === 'temporary') {
        expect([ra.statusCode, rb.statusCode], why).toEqual([200, 201]);
        expect(after.factors, why).toEqual([phone.factorId]);
        expect(after.temporary, why).toHaveLength(1);
        expect([[phone.factorId], both], why).toContainEqual(after.temporary[0].retire);
        expect(after.temporary[0].live, why).toBe(true);
      }
      if (a === 'remove' && b === 'require') {
        expect([ra.statusCode, rb.statusCode], why).toEqual([200, 200]);
        expect(after.factors, why).toEqual([phone.factorId]);
        expect(after.enrollmentRequired, why).toBe(true);
        expect([[phone.factorId], both], why).toContainEqual(after.retire);
      }
      if (a === 'temporary' && b === 'require') {
        expect([ra.statusCode, rb.statusCode], why).toEqual([201, 200]);
        expect(after, why).toMatchObject({ factors: both, enrollmentRequired: true, retire: both, sessions: 0, temporary: [{ retire: both, live: true }] });
      }
      if (a === 'temporary' && b === 'temporary') {
        expect([ra.statusCode, rb.statusCode], why).toEqual([201, 201]);
        // The later code voids the earlier one: exactly one lives.
        expect(after.temporary.filter((c) => c.live), why).toHaveLength(1);
        expect(after.temporary, why).toHaveLength(2);
      }
      if (a === 'require' && b === 'require') {
        expect([ra.statusCode, rb.statusCode], why).toEqual([200, 200]);
        expect(after, why).toMatchObject({ factors: both, enrollmentRequired: true, retire: both, sessions: 0 });
      }
    }
  });
});
