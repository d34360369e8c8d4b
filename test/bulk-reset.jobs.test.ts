import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { seedEnrolledContacts } from './helpers/seed.js';
import { BulkRunner } from '../src/recovery/bulk.js';

let t: TestApp;
let admin: StaffWithMFA;
beforeAll(async () => {
  // Jobs are driven by hand here, so each test decides when they run.
  t = await createTestApp({ runJobs: false });
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

async function until(check: () => Promise<boolean>, ms = 20_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('bulk MFA reset', () => {
  it('dry-runs first: how many, which, and the emails it does not know; filters combine with AND', async () => {
    const old = await seedEnrolledContacts(t.ctx, 3, { factorCreatedAt: '2020-01-01T00:00:00.000Z' });
    await seedEnrolledContacts(t.ctx, 2, { type: 'webauthn' });
    const oldEmails = (await t.ctx.db.selectFrom('contacts').select('email').where('id', 'in', old).execute()).map((r) => r.email);
    const dry = await admin.client.post('/api/v1/mfa/bulk-resets', {
      filter: { enrolledBefore: '2021-01-01', emails: [...oldEmails.slice(0, 2), 'nobody@example.com'] },
      reason: 'incident 7',
      dryRun: true,
    });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({ matched: 2, unknownEmails: ['nobody@example.com'] });
    expect(dry.json().sample.map((s: { email: string }) => s.email).sort()).toEqual(oldEmails.slice(0, 2).sort());
    const byMethod = await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { methods: ['webauthn'] }, reason: 'x', dryRun: true });
    expect(byMethod.json().matched).toBe(2);
    expect((await admin.client.post('/api/v1/mfa/bulk-resets', { filter: {}, reason: 'x', dryRun: true })).statusCode).toBe(400);
    // Nothing changed.
    expect(await t.ctx.db.selectFrom('bulk_jobs').selectAll().execute()).toHaveLength(0);
  });

  it('runs in the background with progress, resets each contact like a single reset, and writes a summary', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    await admin.stepUp();
    const created = await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { all: true }, reason: 'token leak, incident 8' });
    expect(created.statusCode, created.body).toBe(202);
    const job = created.json();
    expect(job).toMatchObject({ status: 'queued', done: 0, failed: 0 });
    expect(job.total).toBeGreaterThanOrEqual(6);
    // A contact who enrolls after creation is not swept in: the list is frozen.
    const late = await signUpContact(t);
    await enrollTOTP(t, late.client);

    await new BulkRunner(t.ctx).runOnce();
    const finished = (await admin.client.get(`/api/v1/mfa/bulk-resets/${job.id}`)).json();
    expect(finished).toMatchObject({ status: 'completed', done: job.total, failed: 0 });
    expect((await client.get('/api/v1/auth/session')).json().state).toBe('anonymous');
    expect((await t.client().post('/api/v1/auth/login', { email, password: PASSWORD })).json().methods).toEqual(['setup_link', 'temporary_code']);
    const mail = await t.mail.waitFor(email, 'Your two-step verification was reset');
    expect(mail.text).toContain('/setup-mfa?token=');
    const events = (await admin.client.get(`/api/v1/audit-events?contactId=${id}&action=mfa.reset`)).json().items;
    expect(events).toHaveLength(1);
    expect(events[0].details).toMatchObject({ bulkJobId: job.id, factorsRemoved: 1, recoveryCodesRemoved: 10 });
    expect((await admin.client.get('/api/v1/audit-events?action=mfa.bulk_reset.completed')).json().items[0].details.jobId).toBe(job.id);
    expect((await admin.client.get(`/api/v1/contacts/${late.id}/mfa`)).json().enrolled).toBe(true);
    expect((await admin.client.get('/api/v1/audit-events/verify')).json().ok).toBe(true);
  });

  it('can be cancelled; what ran stays done and nothing more happens', async () => {
    await seedEnrolledContacts(t.ctx, 1200);
    await admin.stepUp();
    const job = (await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { all: true }, reason: 'drill' })).json();
    // Batches of 500 (production's are larger on PostgreSQL), so that one batch is part of the job.
    const oneBatch = 500;
    const runner = new BulkRunner(t.ctx, 1000, oneBatch);
    // Claim and run a single batch by hand, then cancel.
    await t.ctx.db.updateTable('bulk_jobs').set({ status: 'running', lease_owner: runner.instanceID, lease_until: new Date(t.clock.now().getTime() + 60_000).toISOString(), started_at: t.clock.now().toISOString() }).where('id', '=', job.id).execute();
    expect(await runner.runBatch(job.id)).toBe(true);
    const cancelled = await admin.client.post(`/api/v1/mfa/bulk-resets/${job.id}/cancel`);
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', done: oneBatch });
    expect(await runner.runBatch(job.id)).toBe(false);
    expect((await admin.client.get(`/api/v1/mfa/bulk-resets/${job.id}`)).json().done).toBe(oneBatch);
    expect((await admin.client.post(`/api/v1/mfa/bulk-resets/${job.id}/cancel`)).statusCode).toBe(409);
  });

  it('two instances never run the same job; each contact is reset exactly once', async () => {
    const ids = await seedEnrolledContacts(t.ctx, 1500);
    await admin.stepUp();
    const job = (await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { emails: (await t.ctx.db.selectFrom('contacts').select('email').where('id', 'in', ids.slice(0, 500)).execute()).map((r) => r.email).concat((await t.ctx.db.selectFrom('contacts').select('email').where('id', 'in', ids.slice(500, 1000)).execute()).map((r) => r.email)).concat((await t.ctx.db.selectFrom('contacts').select('email').where('id', 'in', ids.slice(1000)).execute()).map((r) => r.email)) }, reason: 'two instances' })).json();
    const a = new BulkRunner(t.ctx);
    const b = new BulkRunner(t.ctx);
    const [ra, rb] = await Promise.all([a.runOnce(), b.runOnce()]);
    expect([ra, rb].filter(Boolean)).toHaveLength(1);
    const done = (await admin.client.get(`/api/v1/mfa/bulk-resets/${job.id}`)).json();
    expect(done).toMatchObject({ status: 'completed', done: 1500 });
    const resets = await t.ctx.db.selectFrom('audit_events').select('contact_id').where('action', '=', 'mfa.reset').where('contact_id', 'in', ids).execute();
    expect(resets).toHaveLength(1500);
    expect(new Set(resets.map((r) => r.contact_id)).size).toBe(1500);
  });

  it('a job racing a customer signing in ends in a serial order', async () => {
    const { client, email, id } = await signUpContact(t);
    const f = await enrollTOTP(t, client);
    await client.post('/api/v1/auth/logout');
    await admin.stepUp();
    const job = (await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { emails: [email] }, reason: 'race' })).json();
    nextStep(t);
    const c = t.client();
    await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    const [signIn] = await Promise.all([c.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, f.secret) }), new BulkRunner(t.ctx).runOnce()]);
    // Sign-in first (200), or the job first: the pending sign-in is gone (401) or the factor is (400).
    expect([200, 400, 401]).toContain(signIn.statusCode);
    await until(async () => (await admin.client.get(`/api/v1/mfa/bulk-resets/${job.id}`)).json().status === 'completed');
    // Whatever the order, the job's reset is the last word: no session, no factor.
    expect((await c.get('/api/v1/auth/session')).json().state).toBe('anonymous');
    expect((await admin.client.get(`/api/v1/contacts/${id}/mfa`)).json()).toMatchObject({ enrolled: false, activeSessions: [] });
  });

  it('is for admins with a step-up only', async () => {
    const sup = await staffWithMFA(t, 'supervisor');
    await sup.stepUp();
    expect((await sup.client.post('/api/v1/mfa/bulk-resets', { filter: { all: true }, reason: 'x', dryRun: true })).statusCode).toBe(403);
    t.clock.advance(6 * 60_000);
    expect((await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { all: true }, reason: 'x' })).json().code).toBe('step_up_required');
    expect((await admin.client.get('/api/v1/mfa/bulk-resets/job_nope')).statusCode).toBe(404);
  });
});
