import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { isISOInstant } from '../src/http/schemas.js';

// Dates were checked with Date.parse, which takes "1" and "March 7", rolls 2024-02-31 into
// March, and reads "+010000-01-01" (an extended year) that then sorts below 2026 as text: a
// "since" in the year 10000 listed every event, and "enrolled before" it matched nobody. A bulk
// reset with such a date, or with blank lines for emails, started a real job of no one. Each is
// now 400 problem+json, and nothing is created.

let t: TestApp;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

const BAD_DATES = ['1', 'March 7', '2024-02-31', '2023-02-29', '+010000-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z', '2026-01-01T10:00', '2026-01-01T25:00:00Z', '2026-13-01', '2026-1-1', ' 2026-01-01', '', '9999-12-31T23:00:00-05:00', '0000-01-01T00:30:00+01:00'];
const GOOD_DATES = ['2026-01-01', '2024-02-29', '2026-01-01T10:00Z', '2026-01-01T10:00:30Z', '2026-01-01T10:00:30.123Z', '2026-01-01T10:00:00+02:00', '9999-12-31T23:59:59Z'];

function expectProblem(r: { statusCode: number; headers: Record<string, unknown>; json(): any; body: string }, field?: string) {
  expect(r.statusCode, r.body).toBe(400);
  expect(String(r.headers['content-type'])).toContain('application/problem+json');
  expect(r.json().code).toBe('invalid_input');
  if (field) expect(r.body).toContain(field);
}

const jobs = async () => (await t.ctx.db.selectFrom('bulk_jobs').select('id').execute()).length;

describe('dates are ISO-8601 UTC instants, and bad ones change nothing', () => {
  it('the rule itself', () => {
    for (const d of BAD_DATES) expect(isISOInstant(d), d).toBe(false);
    for (const d of GOOD_DATES) expect(isISOInstant(d), d).toBe(true);
  });

  it('the audit list refuses a bad since or until, and takes good ones', async () => {
    for (const d of BAD_DATES.filter(Boolean)) {
      expectProblem(await admin.client.get(`/api/v1/audit-events?since=${encodeURIComponent(d)}`), 'since');
      expectProblem(await admin.client.get(`/api/v1/audit-events?until=${encodeURIComponent(d)}`), 'until');
    }
    for (const d of GOOD_DATES) expect((await admin.client.get(`/api/v1/audit-events?since=${encodeURIComponent(d)}`)).statusCode, d).toBe(200);
    // The far end of the range filters the right way round.
    expect((await admin.client.get('/api/v1/audit-events?since=9999-12-31T23:59:59Z')).json().items).toEqual([]);
    expect((await admin.client.get('/api/v1/audit-events?until=9999-12-31T23:59:59Z')).json().items.length).toBeGreaterThan(0);
  });

  it('a bulk reset refuses a bad enrolledBefore, as a dry run and as a job, and starts nothing', async () => {
    await admin.stepUp();
    const before = await jobs();
    for (const d of BAD_DATES) {
      for (const dryRun of [true, false]) {
        expectProblem(await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { enrolledBefore: d }, reason: 'incident', dryRun }), 'enrolledBefore');
      }
    }
    expect(await jobs()).toBe(before);
    expect((await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { enrolledBefore: '2021-01-01' }, reason: 'incident', dryRun: true })).statusCode).toBe(200);
  });

  it('a bulk reset refuses blank emails and starts nothing', async () => {
    await admin.stepUp();
    const before = await jobs();
    for (const emails of [[''], ['   '], ['a@example.com', ' ']]) {
      for (const dryRun of [true, false]) expectProblem(await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { emails }, reason: 'incident', dryRun }), 'emails');
    }
    expect(await jobs()).toBe(before);
  });
});
