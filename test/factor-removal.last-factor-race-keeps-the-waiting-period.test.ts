import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, staffWithMFA, type EnrolledTOTP, type StaffWithMFA } from './helpers/mfa.js';
import type { Client } from './helpers/client.js';

/**
 * PRODUCT.md §4.10 and §7: removing a customer's last factor is a reset (scheduled under a
 * waiting period, with setup required), and two removals racing end in one of the serial orders.
 * Two concurrent removals of the two factors of one contact must never both see "another factor
 * is left" and leave the account with no factor, no pending action and no setup requirement.
 */

let t: TestApp;
let sup: StaffWithMFA;
let admin: StaffWithMFA;

async function setSettings(change: Record<string, unknown>): Promise<void> {
  await admin.stepUp();
  const r = await admin.client.put('/api/v1/settings/mfa', { ...change, reason: 'test' });
  expect(r.statusCode, r.body).toBe(200);
}

/** A contact with two active authenticator apps, whose own session has a fresh step-up. */
async function contactWithTwoFactors(): Promise<{ client: Client; id: string; phone: EnrolledTOTP; tablet: EnrolledTOTP }> {
  const { client, id } = await signUpContact(t);
  const phone = await enrollTOTP(t, client, 'contact', 'Phone');
  nextStep(t);
  expect((await client.post('/api/v1/auth/step-up', { method: 'totp', code: codeFor(t, phone.secret) })).statusCode).toBe(200);
  const tablet = await enrollTOTP(t, client, 'contact', 'Tablet');
  return { client, id, phone, tablet };
}

async function ownerRows(id: string) {
  const db = t.ctx.db;
  const factors = await db.selectFrom('mfa_factors').select(['id']).where('owner_kind', '=', 'contact').where('owner_id', '=', id).where('status', '=', 'active').execute();
  const codes = await db.selectFrom('recovery_codes').select(['id']).where('owner_kind', '=', 'contact').where('owner_id', '=', id).where('used_at', 'is', null).execute();
  const state = await db.selectFrom('mfa_accounts').selectAll().where('owner_kind', '=', 'contact').where('owner_id', '=', id).executeTakeFirst();
  const pending = await db.selectFrom('pending_actions').select(['id', 'kind', 'params']).where('owner_kind', '=', 'contact').where('owner_id', '=', id).where('status', '=', 'pending').execute();
  return { factors: factors.map((f) => f.id), codes: codes.length, setupRequired: state?.setup_required === 1, pending };
}

const ROUNDS = 10;

beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  sup = await staffWithMFA(t, 'supervisor');
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

/** A contact with two factors, and a supervisor's two removals of them fired together. */
async function removeBothAtOnce(round: number) {
  const { id, phone, tablet } = await contactWithTwoFactors();
  await sup.stepUp();
  const [a, b] = await Promise.all([
    sup.client.delete(`/api/v1/contacts/${id}/mfa/factors/${phone.factorId}`, { reason: `race ${round} phone` }),
    sup.client.delete(`/api/v1/contacts/${id}/mfa/factors/${tablet.factorId}`, { reason: `race ${round} tablet` }),
  ]);
  return { id, phone, tablet, a, b };
}

describe('two staff removing the last two factors at once', () => {
  it('with a waiting period, one factor goes and the other is scheduled as a reset: never both gone at once', async () => {
    await setSettings({ waitingPeriodHours: 24 });
    for (let round = 0; round < ROUNDS; round++) {
      const { id, phone, tablet, a, b } = await removeBothAtOnce(round);
      const after = await ownerRows(id);
      // The only serial outcome: the first removal applies (200), the second finds the last factor and schedules a reset (202).
      expect([a.statusCode, b.statusCode].sort(), `round ${round}: ${a.body} / ${b.body}`).toEqual([200, 202]);
      const removed = a.statusCode === 200 ? phone.factorId : tablet.factorId;
      const kept = removed === phone.factorId ? tablet.factorId : phone.factorId;
      expect(after.factors, `round ${round}`).toEqual([kept]);
      expect(after.pending, `round ${round}`).toHaveLength(1);
      expect(after.pending[0]).toMatchObject({ kind: 'reset' });
      expect(JSON.parse(after.pending[0].params)).toEqual({ requireEnrollment: true });
      expect((a.statusCode === 202 ? a : b).json().pendingActionId).toBe(after.pending[0].id);
      // The kept factor still signs in; its recovery codes are still there.
      expect(after.codes).toBe(10);
    }
  });

  it('without a waiting period, one factor goes and the other is a reset with setup required', async () => {
    await setSettings({ waitingPeriodHours: 0 });
    for (let round = 0; round < ROUNDS; round++) {
      const { id, a, b } = await removeBothAtOnce(round);
      expect([a.statusCode, b.statusCode], `round ${round}: ${a.body} / ${b.body}`).toEqual([200, 200]);
      expect([a.json().factorsRemoved, b.json().factorsRemoved]).toEqual([1, 1]);
      const after = await ownerRows(id);
      expect(after.factors, `round ${round}`).toEqual([]);
      expect(after.pending).toHaveLength(0);
      // The second removal was of the last factor: a reset with setup required, so recovery codes went too.
      expect(after.setupRequired, `round ${round}`).toBe(true);
      expect(after.codes, `round ${round}`).toBe(0);
      const resets = await t.ctx.db.selectFrom('audit_events').select('action').where('contact_id', '=', id).where('action', '=', 'mfa.reset').execute();
      expect(resets, `round ${round}`).toHaveLength(1);
    }
  });
});

describe('a customer removing their last two factors at once under "required"', () => {
  it('exactly one removal succeeds, the other is refused, and one factor remains', async () => {
    await setSettings({ policy: 'required', waitingPeriodHours: 0 });
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const { client, id, phone, tablet } = await contactWithTwoFactors();
        const [a, b] = await Promise.all([client.delete(`/api/v1/me/mfa/factors/${phone.factorId}`), client.delete(`/api/v1/me/mfa/factors/${tablet.factorId}`)]);
        expect([a.statusCode, b.statusCode].sort(), `round ${round}: ${a.body} / ${b.body}`).toEqual([204, 409]);
        const after = await ownerRows(id);
        expect(after.factors, `round ${round}`).toEqual([a.statusCode === 204 ? tablet.factorId : phone.factorId]);
        expect(after.codes).toBe(10);
      }
    } finally {
      await setSettings({ policy: 'optional' });
    }
  });
});
