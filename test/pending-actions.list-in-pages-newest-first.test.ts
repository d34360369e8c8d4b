import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// API.md: lists take `limit` (default 50, 1–200, else 400) and `cursor`, return
// `{items, nextCursor}`, newest first. GET /pending-actions is such a list.

let t: TestApp;
let sup: StaffWithMFA;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  sup = await staffWithMFA(t, 'supervisor');
  admin = await staffWithMFA(t, 'admin');
  await admin.stepUp();
  expect((await admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'social engineering defence' })).statusCode).toBe(200);
});
afterAll(async () => {
  await t.close();
});

/** Schedules a reset of a new contact with a factor; returns the pending action's id. */
async function scheduleReset(): Promise<string> {
  const { client, id } = await signUpContact(t);
  await enrollTOTP(t, client);
  await sup.stepUp();
  const r = await sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'caller lost phone' });
  expect(r.statusCode, r.body).toBe(202);
  return r.json().pendingActionId;
}

type Page = { items: Array<{ id: string; createdAt: string }>; nextCursor: string | null };

describe('GET /pending-actions pages by keyset, newest first', () => {
  let first: string;
  let second: string;
  let third: string;

  beforeAll(async () => {
    first = await scheduleReset();
    second = await scheduleReset();
    third = await scheduleReset();
  });

  it('3 pending actions with limit=2: 2 items and a cursor, then 1 item and null', async () => {
    const one = await sup.client.get('/api/v1/pending-actions?limit=2');
    expect(one.statusCode, one.body).toBe(200);
    const p1 = one.json() as Page;
    expect(p1.items.map((p) => p.id)).toEqual([third, second]);
    expect(p1.nextCursor).toEqual(expect.any(String));
    const two = (await sup.client.get(`/api/v1/pending-actions?limit=2&cursor=${encodeURIComponent(p1.nextCursor!)}`)).json() as Page;
    expect(two.items.map((p) => p.id)).toEqual([first]);
    expect(two.nextCursor).toBeNull();
  });

  it('defaults to 50 per page, newest first; a page ending exactly at the end has no cursor', async () => {
    const all = (await sup.client.get('/api/v1/pending-actions')).json() as Page;
    expect(all.items.map((p) => p.id)).toEqual([third, second, first]);
    expect(all.nextCursor).toBeNull();
    const created = all.items.map((p) => p.createdAt);
    expect([...created].sort().reverse()).toEqual(created);
    const exact = (await sup.client.get('/api/v1/pending-actions?limit=3')).json() as Page;
    expect(exact.items).toHaveLength(3);
    expect(exact.nextCursor).toBeNull();
    expect((await sup.client.get('/api/v1/pending-actions?limit=200')).statusCode).toBe(200);
  });

  it('pages with the filters, and an action scheduled between pages neither repeats nor shifts a row', async () => {
    const p1 = (await sup.client.get('/api/v1/pending-actions?status=pending&limit=1')).json() as Page;
    expect(p1.items.map((p) => p.id)).toEqual([third]);
    const fourth = await scheduleReset();
    const p2 = (await sup.client.get(`/api/v1/pending-actions?status=pending&limit=1&cursor=${p1.nextCursor}`)).json() as Page;
    expect(p2.items.map((p) => p.id)).toEqual([second]);
    const p3 = (await sup.client.get(`/api/v1/pending-actions?status=pending&limit=1&cursor=${p2.nextCursor}`)).json() as Page;
    expect(p3.items.map((p) => p.id)).toEqual([first]);
    expect(p3.nextCursor).toBeNull();
    expect(((await sup.client.get('/api/v1/pending-actions?status=pending&limit=1')).json() as Page).items.map((p) => p.id)).toEqual([fourth]);
    expect(((await sup.client.get('/api/v1/pending-actions?status=cancelled')).json() as Page).items).toEqual([]);
  });

  it('answers 400 invalid_input (problem+json) for a limit outside 1–200 or a malformed cursor', async () => {
    const bad = ['limit=0', 'limit=201', 'limit=-1', 'limit=1.5', 'limit=ten', 'cursor=nope', 'cursor=123', `cursor=${first}x`, "cursor=pa_'%20OR%201=1--", `cursor=${'pa_'.padEnd(120, 'a')}`];
    for (const q of bad) {
      const r = await sup.client.get(`/api/v1/pending-actions?${q}`);
      expect(r.statusCode, q).toBe(400);
      expect(r.headers['content-type'], q).toContain('application/problem+json');
      expect(r.json().code, q).toBe('invalid_input');
    }
  });

  it('an API token with mfa:manage pages the same way', async () => {
    await admin.stepUp();
    const { token } = (await admin.client.post('/api/v1/api-tokens', { name: 'scheduler', scopes: ['mfa:manage'] })).json();
    const api = t.client();
    const r = await api.get('/api/v1/pending-actions?limit=2', { authorization: `Bearer ${token}` });
    expect(r.statusCode, r.body).toBe(200);
    expect((r.json() as Page).items).toHaveLength(2);
    expect((r.json() as Page).nextCursor).toEqual(expect.any(String));
  });
});
