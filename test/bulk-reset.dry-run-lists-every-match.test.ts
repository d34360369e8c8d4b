import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { seedEnrolledContacts } from './helpers/seed.js';
import { TARGET_CHUNK } from '../src/recovery/bulk-targets.js';

// PRODUCT.md §4.7: "a dry run first says how many and which". The dry run's answer carries a
// sample of 20; POST /api/v1/mfa/bulk-resets/matches (the same filter) streams every contact
// the job would reset as CSV (email,contactId), by the job's own selection: unknown emails, the
// contacts without two-step verification and the admin's own customer accounts are left out,
// exactly as the job leaves them out. Like the dry run it changes nothing and needs no step-up.

let t: TestApp;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

/** The CSV's rows after its header, each [email, contactId]; cells here need no unquoting. */
function rows(csv: string): string[][] {
  const lines = csv.split('\r\n');
  expect(lines[0]).toBe('email,contactId');
  expect(lines[lines.length - 1]).toBe('');
  return lines.slice(1, -1).map((l) => l.split(','));
}

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): { code: string; status: number } }, status: number, code: string): void {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toContain('application/problem+json');
  expect(res.json()).toMatchObject({ status, code });
}

describe('the full list of a dry run', () => {
  it('names every contact the job would reset, beyond the sample, and leaves out what the job leaves out', async () => {
    const ids = await seedEnrolledContacts(t.ctx, 45);
    const seeded = await t.ctx.db.selectFrom('contacts').select(['id', 'email']).where('id', 'in', ids).execute();
    // The admin's own customer account (a sub-address of their mailbox), enrolled: left out.
    const [user, domain] = admin.email.split('@');
    const own = await signUpContact(t, `${user}+shop@${domain}`, 'Admin as a customer');
    await enrollTOTP(t, own.client);
    // A customer without two-step verification: nothing to reset, left out.
    const plain = await signUpContact(t, 'plain-customer@example.com', 'Plain Customer');
    const filter = { emails: [...seeded.map((c) => c.email), own.email, plain.email, 'nobody-here@example.com'] };

    const dry = (await admin.client.post('/api/v1/mfa/bulk-resets', { filter, reason: 'incident 40', dryRun: true })).json();
    expect(dry).toMatchObject({ matched: 45, unknownEmails: ['nobody-here@example.com'], notEnrolled: 1, ownAccountsLeftOut: 1 });
    expect(dry.sample).toHaveLength(20);

    const res = await admin.client.post('/api/v1/mfa/bulk-resets/matches', { filter });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(String(res.headers['content-disposition'])).toMatch(/^attachment; filename="portico-bulk-reset-matches-\d{4}-\d{2}-\d{2}\.csv"$/);
    const listed = rows(res.body);
    expect(listed).toHaveLength(45);
    expect(new Map(listed.map(([email, id]) => [id, email]))).toEqual(new Map(seeded.map((c) => [c.id, c.email])));
    expect(res.body).not.toContain(own.email);
    expect(res.body).not.toContain(plain.email);
    expect(res.body).not.toContain('nobody-here@example.com');
    // Nothing was created.
    expect(await t.ctx.db.selectFrom('bulk_jobs').select('id').execute()).toHaveLength(0);

    // The job with the same filter freezes exactly these contacts: one selection, not two.
    await admin.stepUp();
    const job = await admin.client.post('/api/v1/mfa/bulk-resets', { filter, reason: 'incident 40' });
    expect(job.statusCode, job.body).toBe(202);
    expect(job.json().total).toBe(45);
    const frozen = (await t.ctx.db.selectFrom('bulk_job_items').select('contact_id').where('job_id', '=', job.json().id).execute()).map((r) => r.contact_id);
    expect(new Set(frozen)).toEqual(new Set(listed.map(([, id]) => id)));
  });

  it('streams a match larger than one chunk of the selection, each contact once', async () => {
    const chunk = TARGET_CHUNK[t.ctx.dialect];
    // More enrolled contacts than one chunk on SQLite (2,000); PostgreSQL's chunks are larger.
    await seedEnrolledContacts(t.ctx, t.ctx.dialect === 'sqlite' ? chunk + 150 : 2150);
    const dry = (await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { all: true }, reason: 'incident 41', dryRun: true })).json();
    expect(dry.matched).toBeGreaterThan(2100);
    const res = await admin.client.post('/api/v1/mfa/bulk-resets/matches', { filter: { all: true } });
    expect(res.statusCode).toBe(200);
    const listed = rows(res.body);
    expect(listed).toHaveLength(dry.matched);
    expect(new Set(listed.map(([, id]) => id)).size).toBe(dry.matched);
    for (const [, id] of listed) expect(id).toMatch(/^ct_/);
  });

  it('defuses a cell a spreadsheet would run as a formula', async () => {
    const [id] = await seedEnrolledContacts(t.ctx, 1);
    await t.ctx.db.updateTable('contacts').set({ email: '-2+3@example.com' }).where('id', '=', id).execute();
    const res = await admin.client.post('/api/v1/mfa/bulk-resets/matches', { filter: { emails: ['-2+3@example.com'] } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toBe(`email,contactId\r\n'-2+3@example.com,${id}\r\n`);
  });

  it('with nobody matched is the header alone', async () => {
    const res = await admin.client.post('/api/v1/mfa/bulk-resets/matches', { filter: { emails: ['nobody-at-all@example.com'] } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toBe('email,contactId\r\n');
  });

  it('needs no step-up, like the dry run; refuses a missing filter; is for admins only', async () => {
    t.clock.advance(10 * 60_000);
    expect((await admin.client.post('/api/v1/mfa/bulk-resets/matches', { filter: { methods: ['totp'] } })).statusCode).toBe(200);
    expectProblem(await admin.client.post('/api/v1/mfa/bulk-resets/matches', { filter: {} }), 400, 'invalid_input');
    expectProblem(await admin.client.post('/api/v1/mfa/bulk-resets/matches', {}), 400, 'invalid_input');
    expectProblem(await admin.client.post('/api/v1/mfa/bulk-resets/matches', { filter: { emails: ['  '] } }), 400, 'invalid_input');
    for (const role of ['supervisor', 'agent'] as const) {
      const other = await staffWithMFA(t, role);
      await other.stepUp();
      expectProblem(await other.client.post('/api/v1/mfa/bulk-resets/matches', { filter: { all: true } }), 403, 'forbidden');
    }
    expectProblem(await t.client().post('/api/v1/mfa/bulk-resets/matches', { filter: { all: true } }), 401, 'unauthenticated');
    // A console request without its CSRF token is refused like any unsafe one.
    admin.client.csrf = false;
    try {
      expectProblem(await admin.client.post('/api/v1/mfa/bulk-resets/matches', { filter: { all: true } }), 403, 'csrf_failed');
    } finally {
      admin.client.csrf = true;
    }
  });
});
