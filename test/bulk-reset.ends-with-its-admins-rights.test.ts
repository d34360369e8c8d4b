import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/http/errors.js';
import { BulkRunner } from '../src/recovery/bulk.js';
import { createBulkJob } from '../src/recovery/bulk-targets.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { seedEnrolledContacts } from './helpers/seed.js';

// PRODUCT.md §4.7: a bulk reset is an admin's act. A job queued or running kept resetting
// customers after the admin who started it was deactivated (say, caught starting it with a
// stolen session) or moved to a lesser role, and after the API token that started it was
// revoked. Such a job is now cancelled with the authority that started it: its status says
// cancelled, the audit log says why, and what ran stays done.

let t: TestApp;
let boss: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  boss = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

async function emailsOf(ids: string[]): Promise<string[]> {
  return (await t.ctx.db.selectFrom('contacts').select('email').where('id', 'in', ids).execute()).map((r) => r.email);
}

async function startJob(by: StaffWithMFA, contacts: string[]): Promise<string> {
  await by.stepUp();
  const r = await by.client.post('/api/v1/mfa/bulk-resets', { filter: { emails: await emailsOf(contacts) }, reason: 'incident 21' });
  expect(r.statusCode, r.body).toBe(202);
  return r.json().id;
}

async function change(who: { id: string }, body: object) {
  await boss.stepUp();
  const r = await boss.client.patch(`/api/v1/staff/${who.id}`, body);
  expect(r.statusCode, r.body).toBe(200);
  const entry = await t.ctx.db.selectFrom('audit_events').select('details').where('staff_id', '=', who.id).where('action', 'in', ['staff.deactivated', 'staff.role_changed']).orderBy('seq', 'desc').executeTakeFirstOrThrow();
  return JSON.parse(entry.details!);
}

async function cancelledBecause(jobID: string): Promise<string | null> {
  const rows = await t.ctx.db.selectFrom('audit_events').select(['actor_type', 'reason', 'details']).where('action', '=', 'mfa.bulk_reset.cancelled').execute();
  const mine = rows.filter((r) => JSON.parse(r.details!).jobId === jobID);
  expect(mine.length).toBeLessThanOrEqual(1);
  if (!mine.length) return null;
  expect(mine[0].actor_type).toBe('system');
  return mine[0].reason;
}

const enrolledOf = async (ids: string[]) => (await t.ctx.db.selectFrom('mfa_factors').select('owner_id').where('owner_kind', '=', 'contact').where('owner_id', 'in', ids).where('status', '=', 'active').execute()).length;

/** Claims a job for a runner by hand (as runOnce does), so that a test runs one batch at a time. */
async function claim(runner: BulkRunner, jobID: string) {
  const now = t.clock.now();
  await t.ctx.db.updateTable('bulk_jobs').set({ status: 'running', lease_owner: runner.instanceID, lease_until: new Date(now.getTime() + 60_000).toISOString(), started_at: now.toISOString() }).where('id', '=', jobID).execute();
}

describe('a bulk reset', () => {
  it('queued is cancelled when the admin who started it is deactivated, and resets no one', async () => {
    const rogue = await staffWithMFA(t, 'admin');
    const contacts = await seedEnrolledContacts(t.ctx, 3);
    const job = await startJob(rogue, contacts);
    const details = await change(rogue, { active: false });
    expect((await boss.client.get(`/api/v1/mfa/bulk-resets/${job}`)).json()).toMatchObject({ status: 'cancelled', done: 0 });
    expect(await new BulkRunner(t.ctx).runOnce()).toBe(false);
    expect(await enrolledOf(contacts)).toBe(3);
    expect(await cancelledBecause(job)).toBe('the admin who started it was deactivated');
    expect(details).toMatchObject({ bulkJobsCancelled: 1 });
  });

  it('running stops when its admin is moved to supervisor; what ran stays done; another admin\'s job runs on', async () => {
    const demoted = await staffWithMFA(t, 'admin');
    const other = await staffWithMFA(t, 'admin');
    const contacts = await seedEnrolledContacts(t.ctx, 4);
    const others = await seedEnrolledContacts(t.ctx, 2);
    const job = await startJob(demoted, contacts);
    const otherJob = await startJob(other, others);
    const runner = new BulkRunner(t.ctx, 1000, 2);
    await claim(runner, job);
    expect(await runner.runBatch(job)).toBe(true);
    const details = await change(demoted, { role: 'supervisor' });
    expect(await runner.runBatch(job)).toBe(false);
    expect((await boss.client.get(`/api/v1/mfa/bulk-resets/${job}`)).json()).toMatchObject({ status: 'cancelled', done: 2 });
    expect(await enrolledOf(contacts)).toBe(2);
    expect(await cancelledBecause(job)).toBe('the admin who started it is no longer an admin');
    expect(details).toMatchObject({ bulkJobsCancelled: 1 });
    // Not theirs: untouched.
    expect(await cancelledBecause(otherJob)).toBeNull();
    expect(await new BulkRunner(t.ctx).runOnce()).toBe(true);
    expect((await boss.client.get(`/api/v1/mfa/bulk-resets/${otherJob}`)).json()).toMatchObject({ status: 'completed', done: 2 });
  });

  it('started by an API token is cancelled when the token is revoked, or when the admin who made it is demoted', async () => {
    const maker = await staffWithMFA(t, 'admin');
    const owner = await staffWithMFA(t, 'admin');
    const tokens: Array<{ id: string; token: string }> = [];
    for (let i = 0; i < 2; i++) {
      await maker.stepUp();
      const made = await maker.client.post('/api/v1/api-tokens', { name: `incident tooling ${i}`, scopes: ['mfa:bulk'], staffId: owner.id });
      expect(made.statusCode, made.body).toBe(201);
      tokens.push(made.json());
    }
    const jobs: string[] = [];
    const contacts = await seedEnrolledContacts(t.ctx, 4);
    for (const [i, { token }] of tokens.entries()) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/api/v1/mfa/bulk-resets',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ filter: { emails: await emailsOf(contacts.slice(2 * i, 2 * i + 2)) }, reason: 'incident 22' }),
      });
      expect(r.statusCode, r.body).toBe(202);
      jobs.push(r.json().id);
    }
    await boss.stepUp();
    expect((await boss.client.delete(`/api/v1/api-tokens/${tokens[0].id}`)).statusCode).toBe(204);
    expect((await boss.client.get(`/api/v1/mfa/bulk-resets/${jobs[0]}`)).json().status).toBe('cancelled');
    await change(maker, { role: 'supervisor' });
    for (const job of jobs) expect((await boss.client.get(`/api/v1/mfa/bulk-resets/${job}`)).json().status).toBe('cancelled');
    expect(await new BulkRunner(t.ctx).runOnce()).toBe(false);
    expect(await enrolledOf(contacts)).toBe(4);
    expect(await cancelledBecause(jobs[0])).toBe('the API token that started it was revoked');
    expect(await cancelledBecause(jobs[1])).toBe('the admin who started it is no longer an admin');
  });

  it('is never queued for an admin deactivated while it was being created', async () => {
    const gone = await staffWithMFA(t, 'admin');
    const contacts = await seedEnrolledContacts(t.ctx, 2);
    // The request passed its checks; the admin is deactivated before the job is queued.
    await change(gone, { active: false });
    const error = await createBulkJob(t.ctx, { type: 'staff', id: gone.id }, { filter: { emails: await emailsOf(contacts) }, reason: 'incident 23', requireEnrollment: true }, { ip: null, userAgent: null }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('forbidden');
    expect(await t.ctx.db.selectFrom('bulk_jobs').select('id').where('actor_id', '=', gone.id).execute()).toEqual([]);
  });
});
