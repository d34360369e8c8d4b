import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { BulkRunner } from '../src/recovery/bulk.js';

// PRODUCT.md §4: "No staff member can run these actions on their own account". The single
// reset refuses an admin's own customer account (the same mailbox, +tags and case aside), but a
// bulk reset selecting it reset it all the same: an admin whose phone an attacker holds could
// be talked through it, or an attacker with an admin's session could take over that account.
// A bulk reset leaves out the acting admin's own customer accounts (for a token: its owner's
// and its maker's); the dry run says how many it left out and does not count them.

let t: TestApp;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

/** A customer account enrolled at a +tagged, upper-cased address of a staff member's mailbox. */
async function ownCustomerAccount(staff: { email: string }, tag: string) {
  const [local, domain] = staff.email.split('@');
  const c = await signUpContact(t, `${local}+${tag}@${domain}`.toUpperCase());
  await enrollTOTP(t, c.client);
  return c;
}

async function enrolled() {
  const c = await signUpContact(t);
  await enrollTOTP(t, c.client);
  return c;
}

const isEnrolled = async (id: string) => (await t.ctx.db.selectFrom('mfa_factors').select('id').where('owner_kind', '=', 'contact').where('owner_id', '=', id).where('status', '=', 'active').execute()).length > 0;

describe('a bulk reset', () => {
  it('by an admin leaves out their own customer account, and the dry run says so', async () => {
    const mine = await ownCustomerAccount(admin, 'shop');
    const other = await enrolled();
    const dry = await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { all: true }, reason: 'incident 12', dryRun: true });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({ matched: 1, ownAccountsLeftOut: 1 });
    expect(dry.json().sample.map((s: { id: string }) => s.id)).toEqual([other.id]);
    // Named in a pasted list, it is left out too, and not reported as not enrolled.
    const listed = await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { emails: [mine.email.toLowerCase()] }, reason: 'incident 12', dryRun: true });
    expect(listed.json()).toMatchObject({ matched: 0, notEnrolled: 0, unknownEmails: [], ownAccountsLeftOut: 1 });

    await admin.stepUp();
    const created = await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { all: true }, reason: 'incident 12' });
    expect(created.statusCode, created.body).toBe(202);
    expect(created.json().total).toBe(1);
    await new BulkRunner(t.ctx).runOnce();
    expect((await admin.client.get(`/api/v1/mfa/bulk-resets/${created.json().id}`)).json()).toMatchObject({ status: 'completed', done: 1 });
    expect(await isEnrolled(mine.id)).toBe(true);
    expect(await isEnrolled(other.id)).toBe(false);
    const started = await t.ctx.db.selectFrom('audit_events').select('details').where('action', '=', 'mfa.bulk_reset.started').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect(JSON.parse(started.details!)).toMatchObject({ jobId: created.json().id, total: 1, ownAccountsLeftOut: 1 });
  });

  it('through an API token leaves out the customer accounts of its owner and of its maker', async () => {
    const maker = await staffWithMFA(t, 'admin');
    const owner = await staffWithMFA(t, 'admin');
    await maker.stepUp();
    const made = await maker.client.post('/api/v1/api-tokens', { name: 'incident tooling', scopes: ['mfa:bulk'], staffId: owner.id });
    expect(made.statusCode, made.body).toBe(201);
    const makers = await ownCustomerAccount(maker, 'home');
    const owners = await ownCustomerAccount(owner, 'home');
    const other = await enrolled();
    const bulk = (body: object) =>
      t.app.inject({ method: 'POST', url: '/api/v1/mfa/bulk-resets', headers: { authorization: `Bearer ${made.json().token}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    const filter = { emails: [makers.email, owners.email, other.email] };
    const dry = await bulk({ filter, reason: 'incident 13', dryRun: true });
    expect(dry.json()).toMatchObject({ matched: 1, ownAccountsLeftOut: 2 });
    const created = await bulk({ filter, reason: 'incident 13' });
    expect(created.statusCode, created.body).toBe(202);
    expect(created.json().total).toBe(1);
    await new BulkRunner(t.ctx).runOnce();
    expect(await isEnrolled(makers.id)).toBe(true);
    expect(await isEnrolled(owners.id)).toBe(true);
    expect(await isEnrolled(other.id)).toBe(false);
  });
});
