import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { seedEnrolledContacts } from './helpers/seed.js';
import { BulkRunner } from '../src/recovery/bulk.js';
import { refuseWrites } from './helpers/refuse-writes.js';

// PRODUCT.md §4.7: a bulk reset runs as a background job with visible progress. A contact whose
// reset keeps failing must not stall it: that contact is counted as failed (with the error
// kept), every other contact is reset exactly once, and the job completes. Before, the failing
// batch rolled back and was retried every lease, forever, with the job stuck at "running".
//
// The failure is a real one from the database: a trigger refuses to delete that one contact's
// factors (as a constraint or a corrupt row would), on SQLite and on PostgreSQL alike.

let t: TestApp;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

async function refuseFactorDeletionFor(contactID: string): Promise<void> {
  await refuseWrites(t.ctx, { table: 'mfa_factors', on: ['DELETE'], column: 'owner_id', value: contactID, message: 'injected failure for this contact' });
}

describe('a bulk reset with one contact whose reset always fails', () => {
  it('resets every other contact once, counts that one as failed, and completes', async () => {
    const ids = await seedEnrolledContacts(t.ctx, 7);
    const emails = (await t.ctx.db.selectFrom('contacts').select(['id', 'email']).where('id', 'in', ids).execute()).map((r) => r.email);
    const victim = ids[3];
    await refuseFactorDeletionFor(victim);

    await admin.stepUp();
    const created = await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { emails }, reason: 'incident 12' });
    expect(created.statusCode, created.body).toBe(202);
    const jobID = created.json().id;

    // Batches of 3: the failing contact's batch (contacts 4–6) is the second.
    await new BulkRunner(t.ctx, 1000, 3).runOnce();

    const job = (await admin.client.get(`/api/v1/mfa/bulk-resets/${jobID}`)).json();
    expect(job).toMatchObject({ status: 'completed', total: 7, done: 6, failed: 1 });

    const factorsLeft = await t.ctx.db.selectFrom('mfa_factors').select('owner_id').where('owner_id', 'in', ids).execute();
    expect(factorsLeft.map((f) => f.owner_id)).toEqual([victim]);

    const item = await t.ctx.db.selectFrom('bulk_job_items').select(['status', 'error']).where('job_id', '=', jobID).where('contact_id', '=', victim).executeTakeFirstOrThrow();
    expect(item.status).toBe('failed');
    expect(item.error).toContain('injected failure');

    // Every other contact: one reset in the audit log and one email; the failing one: none.
    const resets = await t.ctx.db.selectFrom('audit_events').select('contact_id').where('action', '=', 'mfa.reset').where('contact_id', 'in', ids).execute();
    const perContact = new Map<string, number>();
    for (const r of resets) perContact.set(r.contact_id!, (perContact.get(r.contact_id!) ?? 0) + 1);
    for (const id of ids) expect(perContact.get(id) ?? 0, id).toBe(id === victim ? 0 : 1);
    const mails = await t.ctx.db.selectFrom('outbox').select('recipient').where('recipient', 'in', emails).execute();
    expect(mails).toHaveLength(6);

    // Nothing is left for another pass to redo.
    expect(await new BulkRunner(t.ctx, 1000, 3).runOnce()).toBe(false);
    expect((await admin.client.get(`/api/v1/mfa/bulk-resets/${jobID}`)).json()).toMatchObject({ done: 6, failed: 1 });
  });
});
