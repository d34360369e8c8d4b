import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { seedEnrolledContacts } from './helpers/seed.js';
import { BulkRunner } from '../src/recovery/bulk.js';
import { createBulkJob, discardAbandonedJobs } from '../src/recovery/bulk-targets.js';
import { generateID } from '../src/crypto/random.js';

/**
 * A bulk job's targets are frozen in chunks (each its own transaction, the event loop free in
 * between) behind a 'preparing' job that nothing shows or runs until the last transaction
 * queues it. These tests hold the chunked creation to the promises of the single transaction
 * it replaced: every target once, the frozen count, nothing visible half-made.
 */
let t: TestApp;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

const actor = () => ({ type: 'staff' as const, id: admin.id });
const meta = { ip: '127.0.0.1', userAgent: 'test' };

describe('bulk job creation in chunks', () => {
  it('freezes every enrolled contact exactly once, in id order, across many chunks', async () => {
    const enrolled = await seedEnrolledContacts(t.ctx, 23);
    await signUpContact(t); // not enrolled: never a target
    const job = await createBulkJob(t.ctx, actor(), { filter: { all: true }, reason: 'chunks', requireEnrollment: true }, meta, { chunkSize: 4 });
    expect(job.status).toBe('queued');
    const items = await t.ctx.db.selectFrom('bulk_job_items').select(['contact_id']).where('job_id', '=', job.id).orderBy('seq').execute();
    const ids = items.map((i) => i.contact_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(job.total).toBe(ids.length);
    for (const id of enrolled) expect(ids).toContain(id);
    expect(ids).toEqual([...ids].sort());
    // One audit entry and the admins' email name the frozen count.
    const started = await t.ctx.db.selectFrom('audit_events').select('details').where('action', '=', 'mfa.bulk_reset.started').execute();
    expect(started.some((e) => JSON.parse(e.details!).jobId === job.id && JSON.parse(e.details!).total === job.total)).toBe(true);
    const alert = await t.mail.waitFor(admin.email, new RegExp(`Bulk MFA reset started for ${job.total} contacts`));
    // Naming who started it: an incident tool exempt from the waiting period must not be anonymous.
    const { name } = await t.ctx.db.selectFrom('staff').select('name').where('id', '=', admin.id).executeTakeFirstOrThrow();
    expect(alert.text).toContain(`was started by ${name} (${admin.email})`);
  });

  it('reports unknown emails from every chunk of an email list', async () => {
    const [a] = await seedEnrolledContacts(t.ctx, 1);
    const email = (await t.ctx.db.selectFrom('contacts').select('email').where('id', '=', a).executeTakeFirstOrThrow()).email;
    const unknown = Array.from({ length: 600 }, (_, i) => `nobody-${i}@example.com`);
    const job = await createBulkJob(t.ctx, actor(), { filter: { emails: [...unknown.slice(0, 300), email, ...unknown.slice(300)] }, reason: 'list', requireEnrollment: true }, meta);
    expect(job.total).toBe(1);
    expect(job.unknownEmails).toHaveLength(600);
    expect(new Set(job.unknownEmails)).toEqual(new Set(unknown));
  });

  it('a job still being prepared is not shown, not cancellable and never run; an abandoned one is discarded', async () => {
    const [contact] = await seedEnrolledContacts(t.ctx, 1);
    const preparing = async (createdAt: Date) => {
      const id = generateID('job');
      await t.ctx.db
        .insertInto('bulk_jobs')
        .values({
          id, status: 'preparing', filter: '{"all":true}', reason: 'half made', require_enrollment: 1, actor_type: 'staff', actor_id: admin.id, total: 0,
          unknown_emails: '[]', created_at: createdAt.toISOString(), started_at: null, finished_at: null, lease_owner: null, lease_until: null,
        })
        .execute();
      await t.ctx.db.insertInto('bulk_job_items').values({ job_id: id, contact_id: contact, status: 'pending', error: null, finished_at: null }).execute();
      return id;
    };
    const now = t.clock.now();
    const abandoned = await preparing(new Date(now.getTime() - 2 * 60 * 60_000));
    const fresh = await preparing(now);

    expect((await admin.client.get(`/api/v1/mfa/bulk-resets/${fresh}`)).statusCode).toBe(404);
    const list = (await admin.client.get('/api/v1/mfa/bulk-resets')).json();
    expect(JSON.stringify(list)).not.toContain(fresh);
    await admin.stepUp();
    expect((await admin.client.post(`/api/v1/mfa/bulk-resets/${fresh}/cancel`, {})).statusCode).toBe(404);
    // The runner finds nothing to run (earlier tests' jobs ran? run them out first).
    const runner = new BulkRunner(t.ctx);
    while (await runner.runOnce());
    const status = await t.ctx.db.selectFrom('bulk_jobs').select(['id', 'status']).where('id', 'in', [abandoned, fresh]).execute();
    expect(status.map((s) => s.status)).toEqual(['preparing', 'preparing']);
    expect((await t.ctx.db.selectFrom('mfa_factors').select('status').where('owner_id', '=', contact).execute()).map((f) => f.status)).toContain('active');

    expect(await discardAbandonedJobs(t.ctx)).toBe(1);
    expect(await t.ctx.db.selectFrom('bulk_jobs').select('id').where('id', '=', abandoned).execute()).toHaveLength(0);
    expect(await t.ctx.db.selectFrom('bulk_job_items').select('seq').where('job_id', '=', abandoned).execute()).toHaveLength(0);
    expect(await t.ctx.db.selectFrom('bulk_jobs').select('id').where('id', '=', fresh).execute()).toHaveLength(1);
  });

  it('bad input creates nothing', async () => {
    const before = await t.ctx.db.selectFrom('bulk_jobs').select('id').execute();
    await expect(createBulkJob(t.ctx, actor(), { filter: {}, reason: 'x', requireEnrollment: true }, meta)).rejects.toMatchObject({ code: 'invalid_input' });
    expect(await t.ctx.db.selectFrom('bulk_jobs').select('id').execute()).toHaveLength(before.length);
  });
});
