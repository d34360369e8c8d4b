import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR } from '../src/clock.js';
import { runDuePendingActions } from '../src/recovery/pending-actions.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import type { Client } from './helpers/client.js';
import { seedEnrolledContacts } from './helpers/seed.js';
import { staffWithRole } from './helpers/staff-session.js';

/**
 * PRODUCT.md §4 (the waiting period) and §7 (a serial order): what a staff member scheduled
 * goes with the rights they lose. A supervisor's reset scheduled at the moment an admin
 * deactivated them was checked against their rights as read before its transaction, so on
 * PostgreSQL it was inserted after the deactivation had cancelled their scheduled actions, and
 * the waiting period then reset the customer on the authority of a deactivated supervisor (13
 * of 15 rounds in review). Either serial order leaves nothing pending: scheduled first, the
 * deactivation cancels it; after, it is refused (403).
 */
const ROUNDS = 10;

let t: TestApp;
let admin: Client;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  ({ client: admin } = await staffWithRole(t, 'admin'));
  expect((await admin.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'race test' })).statusCode).toBe(200);
});
afterAll(async () => {
  await t.close();
});

describe('a reset scheduled as its supervisor is deactivated', () => {
  it(`${ROUNDS} rounds: nothing stays pending, and no customer is reset when the period ends`, async () => {
    const contacts = await seedEnrolledContacts(t.ctx, ROUNDS);
    for (const [round, contactID] of contacts.entries()) {
      const { client: supervisor, account } = await staffWithRole(t, 'supervisor');
      const [reset, off] = await Promise.all([
        supervisor.post(`/api/v1/contacts/${contactID}/mfa/reset`, { reason: `caller, round ${round}` }),
        admin.patch(`/api/v1/staff/${account.id}`, { active: false }),
      ]);
      expect(off.statusCode, off.body).toBe(200);
      expect([202, 401, 403], reset.body).toContain(reset.statusCode);
      const pending = await t.ctx.db.selectFrom('pending_actions').select('id').where('owner_id', '=', contactID).where('status', '=', 'pending').execute();
      expect({ round, pending }).toEqual({ round, pending: [] });
    }
    t.clock.advance(25 * HOUR);
    await runDuePendingActions(t.ctx);
    const factors = await t.ctx.db.selectFrom('mfa_factors').select('owner_id').where('owner_kind', '=', 'contact').where('owner_id', 'in', contacts).where('status', '=', 'active').execute();
    expect(new Set(factors.map((f) => f.owner_id)).size).toBe(ROUNDS);
  });
});
