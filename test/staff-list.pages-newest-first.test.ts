import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account } from '../src/accounts/service.js';
import { createStaff, createTestApp, type TestApp } from './helpers/app.js';
import type { Client } from './helpers/client.js';
import { staffWithRole } from './helpers/staff-session.js';

// API.md: lists take `limit` (default 50, 1–200, else 400) and `cursor`, return
// `{items, nextCursor}`, newest first. GET /staff is such a list.

type Page = { items: Array<{ id: string; email: string; createdAt: string }>; nextCursor: string | null };

let t: TestApp;
let admin: { account: Account; client: Client };
/** Every staff member, oldest first: the admin, then three more a second apart. */
let all: string[];
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  admin = await staffWithRole(t, 'admin');
  all = [admin.account.id];
  for (const role of ['agent', 'supervisor', 'agent'] as const) {
    t.clock.advance(1000);
    all.push((await createStaff(t, role)).id);
  }
});
afterAll(async () => {
  await t.close();
});

async function page(url: string, client = admin.client, headers?: Record<string, string>): Promise<Page> {
  const r = await client.get(url, headers);
  expect(r.statusCode, `${url}: ${r.body}`).toBe(200);
  return r.json() as Page;
}

describe('GET /staff pages by keyset, newest first', () => {
  it('4 staff with limit=2: the 2 newest and a cursor, then the other 2 and null', async () => {
    const newestFirst = [...all].reverse();
    const p1 = await page('/api/v1/staff?limit=2');
    expect(p1.items.map((s) => s.id)).toEqual(newestFirst.slice(0, 2));
    expect(p1.nextCursor).toEqual(expect.any(String));
    const p2 = await page(`/api/v1/staff?limit=2&cursor=${encodeURIComponent(p1.nextCursor!)}`);
    expect(p2.items.map((s) => s.id)).toEqual(newestFirst.slice(2));
    expect(p2.nextCursor).toBeNull();
    const p3 = await page('/api/v1/staff?limit=3');
    expect(p3.items.map((s) => s.id)).toEqual(newestFirst.slice(0, 3));
    const p4 = await page(`/api/v1/staff?limit=3&cursor=${p3.nextCursor}`);
    expect(p4.items.map((s) => s.id)).toEqual(newestFirst.slice(3));
    expect(p4.nextCursor).toBeNull();
  });

  it('defaults to 50 per page, newest first by createdAt; a page ending exactly at the end has no cursor', async () => {
    const p = await page('/api/v1/staff');
    expect(p.items.map((s) => s.id)).toEqual([...all].reverse());
    expect(p.nextCursor).toBeNull();
    const created = p.items.map((s) => s.createdAt);
    expect([...created].sort().reverse()).toEqual(created);
    const exact = await page(`/api/v1/staff?limit=${all.length}`);
    expect(exact.items).toHaveLength(all.length);
    expect(exact.nextCursor).toBeNull();
    expect((await admin.client.get('/api/v1/staff?limit=1')).statusCode).toBe(200);
    expect((await admin.client.get('/api/v1/staff?limit=200')).statusCode).toBe(200);
  });

  it('someone invited between pages neither repeats nor shifts a row; staff created in the same instant all appear once', async () => {
    const p1 = await page('/api/v1/staff?limit=1');
    expect(p1.items.map((s) => s.id)).toEqual([all[3]]);
    const invited = await admin.client.post('/api/v1/staff', { email: 'between-pages@example.com', name: 'Between Pages', role: 'agent' });
    expect(invited.statusCode, invited.body).toBe(201);
    // Two more at the very same instant as the invitation: the sequence still orders them.
    const twins = [(await createStaff(t, 'agent')).id, (await createStaff(t, 'agent')).id];
    const seen: string[] = [];
    let cursor = p1.nextCursor;
    while (cursor) {
      const p = await page(`/api/v1/staff?limit=1&cursor=${cursor}`);
      seen.push(...p.items.map((s) => s.id));
      cursor = p.nextCursor;
    }
    expect(seen).toEqual([all[2], all[1], all[0]]);
    const first = await page('/api/v1/staff?limit=3');
    expect(first.items.map((s) => s.id)).toEqual([twins[1], twins[0], invited.json().id]);
    all.push(invited.json().id, ...twins);
  });

  it('answers 400 invalid_input (problem+json) for a limit outside 1–200 or a malformed cursor', async () => {
    const bad = [
      'limit=0',
      'limit=201',
      'limit=-1',
      'limit=1.5',
      'limit=abc',
      'cursor=garbage',
      'cursor=',
      'cursor=-1',
      'cursor=1e3',
      'cursor=12%20',
      'cursor=99999999999999999999',
      `cursor=${admin.account.id}`,
      "cursor=1'%20OR%201=1--",
      `cursor=${'9'.repeat(101)}`,
    ];
    for (const q of bad) {
      const r = await admin.client.get(`/api/v1/staff?${q}`);
      expect(r.statusCode, q).toBe(400);
      expect(r.headers['content-type'], q).toContain('application/problem+json');
      expect(r.json().code, q).toBe('invalid_input');
    }
  });

  it('is still for admins only, and an API token with staff:manage pages the same way', async () => {
    for (const role of ['agent', 'supervisor'] as const) {
      const { client } = await staffWithRole(t, role);
      const r = await client.get('/api/v1/staff?limit=2');
      expect(r.statusCode, role).toBe(403);
      expect(r.json().code, role).toBe('forbidden');
    }
    expect((await t.client().get('/api/v1/staff?limit=2')).statusCode).toBe(401);
    const created = await admin.client.post('/api/v1/api-tokens', { name: 'directory sync', scopes: ['staff:manage'] });
    expect(created.statusCode, created.body).toBe(201);
    const bearer = { authorization: `Bearer ${created.json().token}` };
    const newestFirst = (await page('/api/v1/staff')).items.map((s) => s.id);
    const p1 = await page('/api/v1/staff?limit=2', t.client(), bearer);
    expect(p1.items.map((s) => s.id)).toEqual(newestFirst.slice(0, 2));
    const p2 = await page(`/api/v1/staff?limit=200&cursor=${p1.nextCursor}`, t.client(), bearer);
    expect(p2.items.map((s) => s.id)).toEqual(newestFirst.slice(2));
    expect(p2.nextCursor).toBeNull();
    const r = await t.client().get('/api/v1/staff?cursor=nope', bearer);
    expect(r.statusCode).toBe(400);
    expect(r.json().code).toBe('invalid_input');
  });
});
