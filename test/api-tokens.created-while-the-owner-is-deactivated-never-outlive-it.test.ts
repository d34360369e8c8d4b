import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff, createTestApp, type TestApp } from './helpers/app.js';
import type { Client } from './helpers/client.js';
import { staffWithRole } from './helpers/staff-session.js';

/**
 * PRODUCT.md §7: a deactivation ends the person's API tokens, and reactivating them brings none
 * back. A token made for someone at the moment they were deactivated was checked against the
 * owner as read before its transaction, so on PostgreSQL it was inserted after the
 * deactivation's revoke had run and survived it, working again once the person was reactivated.
 * Either serial order leaves no live token: made first, the deactivation revokes it; made
 * after, it is refused.
 */
const ROUNDS = 12;

let t: TestApp;
let admin: Client;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  ({ client: admin } = await staffWithRole(t, 'admin'));
});
afterAll(async () => {
  await t.close();
});

describe('an API token made while its owner is deactivated', () => {
  it(`${ROUNDS} rounds: no live token is left, and reactivation brings none back`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const agent = await createStaff(t, 'agent');
      const [off, made] = await Promise.all([
        admin.patch(`/api/v1/staff/${agent.id}`, { active: false }),
        admin.post('/api/v1/api-tokens', { name: `round ${round}`, scopes: ['contacts:read'], staffId: agent.id }),
      ]);
      expect(off.statusCode, off.body).toBe(200);
      expect([201, 400], made.body).toContain(made.statusCode);
      const live = await t.ctx.db.selectFrom('api_tokens').select('id').where('staff_id', '=', agent.id).where('revoked_at', 'is', null).execute();
      expect({ round, live }).toEqual({ round, live: [] });
      if (made.statusCode === 201) {
        expect((await admin.patch(`/api/v1/staff/${agent.id}`, { active: true })).statusCode).toBe(200);
        const use = await t.client().get('/api/v1/contacts', { authorization: `Bearer ${made.json().token}` });
        expect({ round, status: use.statusCode }).toEqual({ round, status: 401 });
      }
    }
  });
});
