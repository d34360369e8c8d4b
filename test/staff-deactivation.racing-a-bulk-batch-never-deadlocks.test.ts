import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { BulkRunner } from '../src/recovery/bulk.js';
import { createTestApp, dialectUnderTest, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { seedEnrolledContacts } from './helpers/seed.js';
import { waitForLockWaits } from './helpers/pg-locks.js';

// Deactivating an admin (or revoking their token) cancels their running bulk reset, their
// scheduled changes and their codes, in one transaction. A bulk batch holds its job's row from
// its lease renewal on and appends to the audit log last. The deactivation wrote audit entries
// (the audit head, which every transaction writes last) before it reached the job's row: each
// waited for the other, and PostgreSQL ended the deactivation as a deadlock (409), exactly when
// a rogue admin is being cut off. It now takes the job's row first and writes the audit last.
// PostgreSQL only: SQLite runs one writing transaction at a time, so the two cannot interleave.

let t: TestApp;
let boss: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  boss = await staffWithMFA(t, 'admin');
  await boss.stepUp();
  expect((await boss.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'social engineering defence' })).statusCode).toBe(200);
});
afterAll(async () => {
  await t.close();
});

/**
 * A running job of `rogue`'s and a batch of it paused right after it renewed its lease (its
 * job's row held): a third connection holds the settings row the batch reads next.
 */
async function batchPausedMidway(start: (emails: string[]) => Promise<string>) {
  const batch = await seedEnrolledContacts(t.ctx, 3);
  const emails = (await t.ctx.db.selectFrom('contacts').select('email').where('id', 'in', batch).execute()).map((r) => r.email);
  const job = await start(emails);
  const runner = new BulkRunner(t.ctx, 1000, 3);
  const now = t.clock.now();
  await t.ctx.db.updateTable('bulk_jobs').set({ status: 'running', lease_owner: runner.instanceID, lease_until: new Date(now.getTime() + 600_000).toISOString(), started_at: now.toISOString() }).where('id', '=', job).execute();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let holds!: () => void;
  const holding = new Promise<void>((r) => (holds = r));
  const blocker = t.ctx.db.transaction().execute(async (trx) => {
    await sql`select key from settings where key = 'app' for update`.execute(trx);
    holds();
    await gate;
  });
  await holding;
  const run = runner.runBatch(job).then(
    () => 'committed',
    (e: unknown) => `failed: ${String(e)}`,
  );
  // Until the batch waits on the settings row, holding its job's row.
  await waitForLockWaits(t, 1);
  return { job, run, release: async () => (release(), await blocker) };
}

describe.skipIf(dialectUnderTest !== 'postgres')('cutting off an admin while their bulk reset runs a batch', () => {
  it('deactivation waits for the batch, then cancels the job and the scheduled code: no deadlock', async () => {
    const rogue = await staffWithMFA(t, 'admin');
    const [c1] = await seedEnrolledContacts(t.ctx, 1);
    await rogue.stepUp();
    const code = await rogue.client.post(`/api/v1/contacts/${c1}/mfa/temporary-codes`, { reason: 'caller locked out' });
    expect(code.statusCode, code.body).toBe(202);
    const paused = await batchPausedMidway(async (emails) => {
      const r = await rogue.client.post('/api/v1/mfa/bulk-resets', { filter: { emails }, reason: 'incident' });
      expect(r.statusCode, r.body).toBe(202);
      return r.json().id;
    });
    await boss.stepUp();
    const deactivation = boss.client.patch(`/api/v1/staff/${rogue.id}`, { active: false });
    await waitForLockWaits(t, 2);
    await paused.release();
    const [batch, d] = await Promise.all([paused.run, deactivation]);
    expect(batch).toBe('committed');
    expect(d.statusCode, d.body).toBe(200);
    const pa = await t.ctx.db.selectFrom('pending_actions').select('status').where('id', '=', code.json().pendingActionId).executeTakeFirstOrThrow();
    expect(pa.status).toBe('cancelled');
  });

  it("revoking the admin's token waits for the batch, then cancels what the token did: no deadlock", async () => {
    const rogue = await staffWithMFA(t, 'admin');
    await rogue.stepUp();
    const made = await rogue.client.post('/api/v1/api-tokens', { name: 'automation', scopes: ['mfa:manage', 'mfa:bulk'] });
    expect(made.statusCode, made.body).toBe(201);
    const headers = { authorization: `Bearer ${made.json().token}`, 'content-type': 'application/json' };
    const [c1] = await seedEnrolledContacts(t.ctx, 1);
    const code = await t.app.inject({ method: 'POST', url: `/api/v1/contacts/${c1}/mfa/temporary-codes`, headers, payload: JSON.stringify({ reason: 'caller locked out' }) });
    expect(code.statusCode, code.body).toBe(202);
    const paused = await batchPausedMidway(async (emails) => {
      const r = await t.app.inject({ method: 'POST', url: '/api/v1/mfa/bulk-resets', headers, payload: JSON.stringify({ filter: { emails }, reason: 'incident' }) });
      expect(r.statusCode, r.body).toBe(202);
      return r.json().id;
    });
    await boss.stepUp();
    const revoke = boss.client.delete(`/api/v1/api-tokens/${made.json().id}`);
    await waitForLockWaits(t, 2);
    await paused.release();
    const [batch, d] = await Promise.all([paused.run, revoke]);
    expect(batch).toBe('committed');
    expect(d.statusCode, d.body).toBe(204);
    const pa = await t.ctx.db.selectFrom('pending_actions').select('status').where('id', '=', JSON.parse(code.body).pendingActionId).executeTakeFirstOrThrow();
    expect(pa.status).toBe('cancelled');
  });
});
