import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

/**
 * PRODUCT.md §1 ("staff who may change anyone's MFA must themselves use MFA") and §7 (a race
 * ends in one of the serial orders). An agent removes their own last factor while an admin
 * promotes them to supervisor. In either serial order the console never holds a supervisor
 * without a factor: removal first, the promotion finds no factor and ends their sessions;
 * promotion first, the removal is a supervisor's removal of their last factor, which is refused
 * (409, as for any supervisor). The removal used to judge "must this person keep MFA?" by the
 * role its request had read before its transaction: a promotion committing in between left a
 * supervisor with no factor and a live session that had passed no MFA it still has.
 */

const ROUNDS = 10;

let t: TestApp;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

async function outcome(id: string) {
  const db = t.ctx.db;
  const now = t.clock.now().toISOString();
  const staff = await db.selectFrom('staff').select('role').where('id', '=', id).executeTakeFirstOrThrow();
  const factors = await db.selectFrom('mfa_factors').select('id').where('owner_kind', '=', 'staff').where('owner_id', '=', id).where('status', '=', 'active').execute();
  const sessions = await db.selectFrom('sessions').select('id_hash').where('kind', '=', 'staff').where('subject_id', '=', id).where('expires_at', '>', now).execute();
  return { role: staff.role, factors: factors.length, sessions: sessions.length };
}

describe('an agent removing their last factor while an admin promotes them', () => {
  it(`ends as a supervisor with a factor, or as one signed out everywhere (${ROUNDS} rounds)`, async () => {
    const seen: Record<string, number> = {};
    for (let round = 0; round < ROUNDS; round++) {
      const agent = await staffWithMFA(t, 'agent');
      const factorID = (await agent.client.get('/api/v1/staff-me/mfa')).json().factors[0].id as string;
      await agent.stepUp();
      await admin.stepUp();
      // Both requests' CSRF tokens first, so the two calls below are the only work in flight.
      agent.client.headers['x-csrf-token'] = await agent.client.csrfToken('/api/v1/staff-me/mfa/factors');
      admin.client.headers['x-csrf-token'] = await admin.client.csrfToken(`/api/v1/staff/${agent.id}`);
      const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      // Alternate which side starts a little later, so both orders and the overlap are tried.
      const [promote, remove] = await Promise.all([
        wait(round % 2 ? round : 0).then(() => admin.client.patch(`/api/v1/staff/${agent.id}`, { role: 'supervisor' })),
        wait(round % 2 ? 0 : round).then(() => agent.client.delete(`/api/v1/staff-me/mfa/factors/${factorID}`)),
      ]);
      delete agent.client.headers['x-csrf-token'];
      delete admin.client.headers['x-csrf-token'];
      expect(promote.statusCode, promote.body).toBe(200);
      expect([204, 409], remove.body).toContain(remove.statusCode);
      const after = await outcome(agent.id);
      const why = `round ${round}: removal ${remove.statusCode}, ${JSON.stringify(after)}`;
      expect(after.role, why).toBe('supervisor');
      if (remove.statusCode === 204) {
        // Removal first: the promotion saw no factor and ended every session.
        expect(after, why).toMatchObject({ factors: 0, sessions: 0 });
        expect((await agent.client.get('/api/v1/staff-auth/session')).json().state, why).toBe('anonymous');
      } else {
        // Promotion first: the supervisor keeps the factor, refused like any supervisor's last.
        expect(remove.json().code, why).toBe('conflict');
        expect(after.factors, why).toBe(1);
        expect(after.sessions, why).toBeGreaterThan(0);
      }
      // Never a supervisor with no factor and a live session.
      expect(after.factors > 0 || after.sessions === 0, why).toBe(true);
      seen[remove.statusCode] = (seen[remove.statusCode] ?? 0) + 1;
    }
    console.log('promotion racing removal of the last factor: removal answers', seen);
  });
});
