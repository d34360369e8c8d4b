import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { seedEnrolledContacts } from './helpers/seed.js';
import { staffWithRole } from './helpers/staff-session.js';

/**
 * PRODUCT.md §7 (a serial order) and §3 (an email on every change). Unlock read the lock state
 * and then cleared it, without the person's MFA lock that every other toolkit action takes: two
 * staff unlocking the same customer at once both found it locked, both recorded `wasLocked`,
 * and the customer got two emails (PostgreSQL). One after the other, the second finds nothing
 * to unlock. Unlock, sign out everywhere and forget devices now take that lock too.
 */
const ROUNDS = 8;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
});
afterAll(async () => {
  await t.close();
});

describe('two supervisors unlocking one customer at once', () => {
  it(`${ROUNDS} rounds: one unlock, one audit entry saying it was locked, one email`, async () => {
    const a = await staffWithRole(t, 'supervisor');
    const b = await staffWithRole(t, 'supervisor');
    const contacts = await seedEnrolledContacts(t.ctx, ROUNDS);
    const until = new Date(t.clock.now().getTime() + 15 * 60_000).toISOString();
    for (const [round, id] of contacts.entries()) {
      await t.ctx.db
        .insertInto('mfa_accounts')
        .values({ owner_kind: 'contact', owner_id: id, failures: 10, locked_until: until, hard_locked: 0, enrollment_required: 0, retire_factor_ids: null, setup_required: 0, updated_at: t.clock.now().toISOString() })
        .onConflict((oc) => oc.columns(['owner_kind', 'owner_id']).doUpdateSet({ failures: 10, locked_until: until }))
        .execute();
      const answers = await Promise.all([a, b].map((s) => s.client.post(`/api/v1/contacts/${id}/mfa/unlock`, { reason: `caller verified, round ${round}` })));
      for (const r of answers) expect(r.statusCode, r.body).toBe(200);
      expect({ round, unlocked: answers.map((r) => r.json().unlocked).sort() }).toEqual({ round, unlocked: [false, true] });
      const entries = await t.ctx.db.selectFrom('audit_events').select('details').where('action', '=', 'mfa.unlocked').where('contact_id', '=', id).execute();
      expect(entries.map((e) => JSON.parse(e.details ?? '{}').wasLocked).sort()).toEqual([false, true]);
      const queued = await t.ctx.db.selectFrom('outbox').select('id').where('subject', '=', 'Two-step verification unlocked').where('recipient', 'in', t.ctx.db.selectFrom('contacts').select('email').where('id', '=', id)).execute();
      expect({ round, emails: queued.length }).toEqual({ round, emails: 1 });
    }
  });
});
