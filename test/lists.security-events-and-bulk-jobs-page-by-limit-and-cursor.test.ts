import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import type { Client } from './helpers/client.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// API.md: lists take `limit` (default 50, 1–200, else 400) and `cursor`, return
// `{items, nextCursor}`, newest first. A person's own security activity (/me and /staff-me)
// and the bulk reset jobs are such lists: they used to ignore both and always answer one page.

let t: TestApp;
let admin: StaffWithMFA;
let customer: { client: Client; id: string; email: string };
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  admin = await staffWithMFA(t, 'admin');
  customer = await signUpContact(t);
});
afterAll(async () => {
  await t.close();
});

type Page = { items: Array<{ id: string; at?: string }>; nextCursor: string | null };

async function walk(client: Client, url: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 100; i++) {
    const r = await client.get(`${url}?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(r.statusCode, r.body).toBe(200);
    const p = r.json() as Page;
    expect(p.items.length).toBeLessThanOrEqual(limit);
    ids.push(...p.items.map((e) => e.id));
    cursor = p.nextCursor;
    if (!cursor) return ids;
  }
  throw new Error('no end of pages');
}

async function expectBadInput(client: Client, url: string): Promise<void> {
  const r = await client.get(url);
  expect(r.statusCode, `${url}: ${r.body}`).toBe(400);
  expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(r.json().code).toBe('invalid_input');
}

describe('GET /me/security-events and /staff-me/security-events', () => {
  it('page newest first by limit and cursor, every event once', async () => {
    // A few more events on the customer's account: each sign-in is audited.
    for (let i = 0; i < 4; i++) {
      expect((await customer.client.post('/api/v1/auth/logout')).statusCode).toBe(204);
      const again = await signInAgain(customer.email);
      customer.client = again;
    }
    const all = (await customer.client.get('/api/v1/me/security-events?limit=200')).json() as Page;
    expect(all.items.length).toBeGreaterThanOrEqual(5);
    expect(all.nextCursor).toBeNull();
    const at = all.items.map((e) => e.at!);
    expect([...at].sort().reverse()).toEqual(at);
    expect(await walk(customer.client, '/api/v1/me/security-events', 2)).toEqual(all.items.map((e) => e.id));
    const staffAll = (await admin.client.get('/api/v1/staff-me/security-events')).json() as Page;
    expect(staffAll.items.length).toBeGreaterThanOrEqual(2);
    expect(await walk(admin.client, '/api/v1/staff-me/security-events', 1)).toEqual(staffAll.items.map((e) => e.id));
  });

  it('refuse a limit outside 1–200 or a cursor that is not theirs with 400 invalid_input', async () => {
    for (const q of ['limit=0', 'limit=201', 'limit=abc', 'limit=1.5', 'cursor=abc', 'cursor=-1']) {
      await expectBadInput(customer.client, `/api/v1/me/security-events?${q}`);
      await expectBadInput(admin.client, `/api/v1/staff-me/security-events?${q}`);
    }
  });
});

describe('GET /mfa/bulk-resets', () => {
  it('pages the jobs newest first by limit and cursor, every job once', async () => {
    const created: string[] = [];
    for (let i = 0; i < 3; i++) {
      t.clock.advance(1000);
      await admin.stepUp();
      const r = await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { emails: [customer.email] }, reason: `drill ${i}` });
      expect(r.statusCode, r.body).toBe(202);
      created.push(r.json().id);
    }
    const newestFirst = [...created].reverse();
    expect((await admin.client.get('/api/v1/mfa/bulk-resets')).json().items.map((j: { id: string }) => j.id)).toEqual(newestFirst);
    expect(await walk(admin.client, '/api/v1/mfa/bulk-resets', 2)).toEqual(newestFirst);
    expect(await walk(admin.client, '/api/v1/mfa/bulk-resets', 1)).toEqual(newestFirst);
  });

  it('refuses a limit outside 1–200 or a cursor that is not a job id with 400 invalid_input', async () => {
    for (const q of ['limit=0', 'limit=999', 'limit=abc', 'cursor=abc', 'cursor=job_zz']) await expectBadInput(admin.client, `/api/v1/mfa/bulk-resets?${q}`);
  });
});

async function signInAgain(email: string): Promise<Client> {
  const c = t.client();
  const r = await c.post('/api/v1/auth/login', { email, password: PASSWORD });
  expect(r.statusCode, r.body).toBe(200);
  return c;
}
