import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { seedEnrolledContacts } from './helpers/seed.js';
import { BulkRunner } from '../src/recovery/bulk.js';
import { refuseWrites } from './helpers/refuse-writes.js';

// PRODUCT.md §4.7: a bulk reset is an incident tool with visible progress. When contacts fail,
// the admin must learn WHICH ones and why, not only "2 failed": GET
// /api/v1/mfa/bulk-resets/{id}/failures lists them (contact, email, a reason in words, when),
// keyset-paged like every list, to admins with mfa:bulk only.
//
// Two real failures the runner already handles: a contact deleted between the job's creation
// and its batch (resetBatch marks it "contact no longer exists"), and a contact whose reset the
// database refuses on every try (a trigger refusing to delete that contact's factors, as a
// constraint or a corrupt row would; the runner retries it alone and then marks it failed with
// the database's message). The database's message is kept for the server log, never shown.

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
  await refuseWrites(t.ctx, { table: 'mfa_factors', on: ['DELETE'], column: 'owner_id', value: contactID, message: 'injected failure: DELETE FROM mfa_factors refused' });
}

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): { code: string; status: number } }, status: number, code: string): void {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toContain('application/problem+json');
  expect(res.json()).toMatchObject({ status, code });
}

describe('the contacts a bulk reset could not reset', () => {
  let jobID: string;
  let refused: { id: string; email: string };
  let deleted: { id: string; email: string };

  it('are listed with a reason in words, in the job order, a page at a time', async () => {
    const ids = await seedEnrolledContacts(t.ctx, 6);
    const contacts = await t.ctx.db.selectFrom('contacts').select(['id', 'email']).where('id', 'in', ids).execute();
    const emailOf = new Map(contacts.map((c) => [c.id, c.email]));
    refused = { id: ids[4], email: emailOf.get(ids[4])! };
    deleted = { id: ids[1], email: emailOf.get(ids[1])! };
    await refuseFactorDeletionFor(refused.id);

    await admin.stepUp();
    const created = await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { emails: contacts.map((c) => c.email) }, reason: 'incident 31' });
    expect(created.statusCode, created.body).toBe(202);
    jobID = created.json().id;
    // Gone after the target list was frozen, before the job reached them.
    await t.ctx.db.deleteFrom('mfa_factors').where('owner_id', '=', deleted.id).execute();
    await t.ctx.db.deleteFrom('contacts').where('id', '=', deleted.id).execute();

    // Before the job ran: nothing failed yet, an empty list.
    const before = await admin.client.get(`/api/v1/mfa/bulk-resets/${jobID}/failures`);
    expect(before.statusCode, before.body).toBe(200);
    expect(before.json()).toEqual({ items: [], nextCursor: null });

    await new BulkRunner(t.ctx, 1000, 3).runOnce();
    const job = (await admin.client.get(`/api/v1/mfa/bulk-resets/${jobID}`)).json();
    expect(job).toMatchObject({ status: 'completed', total: 6, done: 4, failed: 2 });
    expect(typeof job.finishedAt).toBe('string');

    const res = await admin.client.get(`/api/v1/mfa/bulk-resets/${jobID}/failures`);
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json();
    expect(page.nextCursor).toBeNull();
    // The job's order: the order of its frozen items.
    const order = (await t.ctx.db.selectFrom('bulk_job_items').select('contact_id').where('job_id', '=', jobID).where('status', '=', 'failed').orderBy('seq').execute()).map((r) => r.contact_id);
    expect(page.items.map((i: { contactId: string }) => i.contactId)).toEqual(order);
    expect(new Set(order)).toEqual(new Set([refused.id, deleted.id]));

    const byID = new Map(page.items.map((i: { contactId: string }) => [i.contactId, i]));
    expect(byID.get(refused.id)).toEqual({ contactId: refused.id, email: refused.email, error: expect.stringMatching(/database refused this contact's reset on all 3 tries/), at: expect.any(String) });
    // A deleted contact has no email left to show.
    expect(byID.get(deleted.id)).toEqual({ contactId: deleted.id, email: null, error: 'The contact was deleted before the job reached them; there was nothing left to reset.', at: expect.any(String) });
    for (const item of page.items) expect(new Date(item.at).toISOString()).toBe(item.at);

    // The database's own text (which names a table and a statement) stays out of the answer;
    // it is kept in the item's row (and the server log) for whoever investigates.
    expect(res.body).not.toMatch(/injected|mfa_factors|SQLITE|error:|\n\s+at /i);
    expect(res.body).not.toMatch(/DELETE|FROM/);
    const stored = await t.ctx.db.selectFrom('bulk_job_items').select('error').where('job_id', '=', jobID).where('contact_id', '=', refused.id).executeTakeFirstOrThrow();
    expect(stored.error).toContain('injected failure');

    // A page at a time: limit and cursor, as every list.
    const first = (await admin.client.get(`/api/v1/mfa/bulk-resets/${jobID}/failures?limit=1`)).json();
    expect(first.items.map((i: { contactId: string }) => i.contactId)).toEqual([order[0]]);
    expect(typeof first.nextCursor).toBe('string');
    const second = (await admin.client.get(`/api/v1/mfa/bulk-resets/${jobID}/failures?limit=1&cursor=${first.nextCursor}`)).json();
    expect(second).toEqual({ items: [expect.objectContaining({ contactId: order[1] })], nextCursor: null });
    expectProblem(await admin.client.get(`/api/v1/mfa/bulk-resets/${jobID}/failures?limit=0`), 400, 'invalid_input');
    expectProblem(await admin.client.get(`/api/v1/mfa/bulk-resets/${jobID}/failures?limit=201`), 400, 'invalid_input');
    expectProblem(await admin.client.get(`/api/v1/mfa/bulk-resets/${jobID}/failures?cursor=abc`), 400, 'invalid_input');
  });

  it('a job with no failure answers an empty list', async () => {
    const ids = await seedEnrolledContacts(t.ctx, 2);
    const emails = (await t.ctx.db.selectFrom('contacts').select('email').where('id', 'in', ids).execute()).map((r) => r.email);
    await admin.stepUp();
    const job = (await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { emails }, reason: 'incident 32' })).json();
    await new BulkRunner(t.ctx).runOnce();
    expect((await admin.client.get(`/api/v1/mfa/bulk-resets/${job.id}`)).json()).toMatchObject({ status: 'completed', done: 2, failed: 0 });
    expect((await admin.client.get(`/api/v1/mfa/bulk-resets/${job.id}/failures`)).json()).toEqual({ items: [], nextCursor: null });
  });

  it('the recent jobs list carries each job its failed count and finish time', async () => {
    const list = (await admin.client.get('/api/v1/mfa/bulk-resets?limit=200')).json();
    expect(list.items.find((j: { id: string }) => j.id === jobID)).toMatchObject({ failed: 2, done: 4, status: 'completed', finishedAt: expect.any(String) });
  });

  it('is for admins only (403 problem+json), and 404 for an unknown job', async () => {
    for (const role of ['supervisor', 'agent'] as const) {
      const other = await staffWithMFA(t, role);
      await other.stepUp();
      expectProblem(await other.client.get(`/api/v1/mfa/bulk-resets/${jobID}/failures`), 403, 'forbidden');
    }
    expectProblem(await t.client().get(`/api/v1/mfa/bulk-resets/${jobID}/failures`), 401, 'unauthenticated');
    expectProblem(await admin.client.get('/api/v1/mfa/bulk-resets/job_nope/failures'), 404, 'not_found');
    expectProblem(await admin.client.get('/api/v1/mfa/bulk-resets/job_0195c0ffee000000000000000000/failures'), 404, 'not_found');
    expectProblem(await admin.client.get(`/api/v1/mfa/bulk-resets/${jobID.slice(0, -1)}x/failures`), 404, 'not_found');
  });
});
