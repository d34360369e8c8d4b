import { beforeAll, describe, expect, it } from 'vitest';
import { getSettings } from '../src/settings/service.js';
import type { TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { useRacingApp } from './helpers/racing-app.js';

/**
 * PRODUCT.md §7 (a serial order) and §5 (every change audited): two admins changing different
 * settings at the same moment both keep their change. A settings change reads the row, merges
 * its keys and writes the whole row back; on PostgreSQL two such changes both read the old row,
 * and the one that wrote second put back the other's key as it was. Both answered 200, the
 * policy an admin had just made `required` was `optional` again, and no audit entry or email
 * told of that. The change now holds the row from before its read.
 */
const ROUNDS = 12;

const race = useRacingApp();
let t: TestApp;
let policyAdmin: StaffWithMFA;
let otherAdmin: StaffWithMFA;
beforeAll(async () => {
  ({ t, admin: policyAdmin } = race);
  otherAdmin = await staffWithMFA(t, 'admin');
});

describe('settings changed at once by two admins never undo each other', () => {
  it(`${ROUNDS} rounds of a policy change racing a change of other settings`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await policyAdmin.stepUp();
      await otherAdmin.stepUp();
      const policy = round % 2 === 0 ? 'required' : 'optional';
      const days = 10 + round;
      const [a, b, c] = await Promise.all([
        policyAdmin.client.put('/api/v1/settings/mfa', { policy, reason: `round ${round}` }),
        otherAdmin.client.put('/api/v1/settings/mfa', { rememberDeviceDays: days, reason: `round ${round}` }),
        otherAdmin.client.put('/api/v1/settings/general', { allowSignup: round % 2 === 0 }),
      ]);
      expect(a.statusCode, a.body).toBe(200);
      expect(b.statusCode, b.body).toBe(200);
      expect(c.statusCode, c.body).toBe(200);
      const stored = await getSettings(t.ctx);
      expect({ round, policy: stored.policy, rememberDeviceDays: stored.rememberDeviceDays, allowSignup: stored.allowSignup }).toEqual({
        round,
        policy,
        rememberDeviceDays: days,
        allowSignup: round % 2 === 0,
      });
    }
    // Each change's audit entry starts from what the one before it left: read in the chain's
    // order, every "from" is the value the previous entry of that key set.
    const entries = await t.ctx.db.selectFrom('audit_events').select(['seq', 'details']).where('action', 'in', ['settings.mfa.changed', 'settings.general.changed']).orderBy('seq').execute();
    const last: Record<string, unknown> = {};
    for (const e of entries) {
      const details = JSON.parse(e.details ?? '{}') as Record<string, { from?: unknown; to?: unknown }>;
      for (const key of ['policy', 'rememberDeviceDays', 'allowSignup']) {
        const d = details[key];
        if (!d) continue;
        if (key in last) expect({ seq: e.seq, key, from: d.from }).toEqual({ seq: e.seq, key, from: last[key] });
        last[key] = d.to;
      }
    }
  });
});
