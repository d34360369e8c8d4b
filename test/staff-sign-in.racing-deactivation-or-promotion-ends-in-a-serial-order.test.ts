import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff, createTestApp, PASSWORD, type TestApp } from './helpers/app.js';
import type { Client } from './helpers/client.js';
import { staffWithRole } from './helpers/staff-session.js';

/**
 * PRODUCT.md §7 (concurrency ends in a serial order) and §1 (staff who may change anyone's MFA
 * use MFA themselves). A staff sign-in checked the password on the person as read before its
 * transaction, and started the session from that read. So a deactivation racing the sign-in
 * left a live session (which worked again once the person was reactivated), and a promotion to
 * supervisor racing it left a full session without any factor. Both serial orders end with no
 * session (deactivation), or with no full session (promotion: the sign-in comes first and the
 * promotion ends it, or after, and asks for a factor). On both databases: on SQLite the stale
 * read was outside the transaction too.
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

async function liveSessions(staffID: string): Promise<string[]> {
  const rows = await t.ctx.db.selectFrom('sessions').select('level').where('kind', '=', 'staff').where('subject_id', '=', staffID).where('expires_at', '>', t.clock.now().toISOString()).execute();
  return rows.map((r) => r.level);
}

/** Starts a password sign-in and, a moment later (varied by round), the staff change. */
async function race(round: number, email: string, change: () => Promise<{ statusCode: number; body: string }>) {
  const browser = t.client();
  const signIn = browser.post('/api/v1/staff-auth/login', { email, password: PASSWORD });
  await new Promise((r) => setTimeout(r, (round % 4) * 3));
  const [login, changed] = await Promise.all([signIn, change()]);
  expect(changed.statusCode, changed.body).toBe(200);
  expect([200, 401], login.body).toContain(login.statusCode);
  return browser;
}

describe('a staff sign-in racing a change of the same staff member', () => {
  it(`${ROUNDS} rounds against a deactivation: no session survives, even after reactivation`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const agent = await createStaff(t, 'agent');
      const browser = await race(round, agent.email, () => admin.patch(`/api/v1/staff/${agent.id}`, { active: false }));
      expect({ round, live: await liveSessions(agent.id) }).toEqual({ round, live: [] });
      expect((await admin.patch(`/api/v1/staff/${agent.id}`, { active: true })).statusCode).toBe(200);
      expect({ round, status: (await browser.get('/api/v1/contacts')).statusCode }).toEqual({ round, status: 401 });
    }
  });

  it(`${ROUNDS} rounds against a promotion to supervisor without a factor: never a full session`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const agent = await createStaff(t, 'agent');
      const browser = await race(round, agent.email, () => admin.patch(`/api/v1/staff/${agent.id}`, { role: 'supervisor' }));
      expect({ round, full: (await liveSessions(agent.id)).filter((l) => l === 'full') }).toEqual({ round, full: [] });
      const state = (await browser.get('/api/v1/staff-auth/session')).json().state;
      expect({ round, state }).not.toEqual({ round, state: 'authenticated' });
    }
  });
});
