import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { staffWithRole } from './helpers/staff-session.js';

// API.md: "GET/POST `/api-tokens`, DELETE `/api-tokens/{id}` (admin session with step-up)", and
// lists take `limit` (default 50, 1–200, else 400) and `cursor`, return `{items, nextCursor}`,
// newest first.

type Page = { items: Array<{ id: string; name: string; createdAt: string; revokedAt: string | null }>; nextCursor: string | null };

const SIX_MINUTES = 6 * 60_000;

let t: TestApp;
let admin: StaffWithMFA;
/** The tokens created so far, oldest first. */
const tokens: Array<{ id: string; token: string }> = [];

async function createToken(name: string, scopes = ['contacts:read']): Promise<{ id: string; token: string }> {
  const r = await admin.client.post('/api/v1/api-tokens', { name, scopes });
  expect(r.statusCode, r.body).toBe(201);
  const created = { id: r.json().id as string, token: r.json().token as string };
  tokens.push(created);
  return created;
}

async function list(query = ''): Promise<Page> {
  const r = await admin.client.get(`/api/v1/api-tokens${query}`);
  expect(r.statusCode, `${query}: ${r.body}`).toBe(200);
  return r.json() as Page;
}

beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  admin = await staffWithMFA(t, 'admin');
  await admin.stepUp();
  for (const name of ['first', 'second', 'third']) {
    t.clock.advance(1000);
    await createToken(name, ['staff:manage', 'contacts:read']);
  }
});
afterAll(async () => {
  await t.close();
});

describe('GET /api-tokens needs an admin session with a fresh step-up', () => {
  it('answers 403 step_up_required (problem+json) without a step-up in the last 5 minutes, and lists after one', async () => {
    t.clock.advance(SIX_MINUTES);
    for (const q of ['', '?limit=2']) {
      const r = await admin.client.get(`/api/v1/api-tokens${q}`);
      expect(r.statusCode, q).toBe(403);
      expect(r.headers['content-type'], q).toContain('application/problem+json');
      expect(r.json().code, q).toBe('step_up_required');
      expect(r.body, q).not.toContain(tokens[0].id);
    }
    await admin.stepUp();
    expect((await list()).items.map((x) => x.id)).toEqual(tokens.map((x) => x.id).reverse());
  });

  it('answers an API token (Bearer) 403 forbidden, even one with every scope an admin holds', async () => {
    await admin.stepUp();
    const { token } = await createToken('everything', ['contacts:read', 'contacts:write', 'mfa:manage', 'mfa:bulk', 'audit:read', 'settings:write', 'staff:manage', 'tickets:read', 'tickets:write']);
    const api = t.client();
    for (const q of ['', '?limit=2']) {
      const r = await api.get(`/api/v1/api-tokens${q}`, { authorization: `Bearer ${token}` });
      expect(r.statusCode, q).toBe(403);
      expect(r.headers['content-type'], q).toContain('application/problem+json');
      expect(r.json().code, q).toBe('forbidden');
    }
    // The same token does work where tokens are allowed.
    expect((await api.get('/api/v1/staff', { authorization: `Bearer ${token}` })).statusCode).toBe(200);
  });

  it('answers supervisors 403 forbidden and anonymous visitors 401, step-up or not', async () => {
    const sup = await staffWithRole(t, 'supervisor');
    const r = await sup.client.get('/api/v1/api-tokens');
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('forbidden');
    expect((await t.client().get('/api/v1/api-tokens')).statusCode).toBe(401);
  });
});

describe('GET /api-tokens pages by keyset, newest first', () => {
  it('3+ tokens with limit=2: the 2 newest and a cursor, then the rest and null', async () => {
    await admin.stepUp();
    const newestFirst = tokens.map((x) => x.id).reverse();
    expect(newestFirst.length).toBeGreaterThanOrEqual(3);
    const p1 = await list('?limit=2');
    expect(p1.items.map((x) => x.id)).toEqual(newestFirst.slice(0, 2));
    expect(p1.nextCursor).toEqual(expect.any(String));
    const p2 = await list(`?limit=2&cursor=${encodeURIComponent(p1.nextCursor!)}`);
    expect(p2.items.map((x) => x.id)).toEqual(newestFirst.slice(2, 4));
    expect(p2.nextCursor).toBeNull();
    const all = await list();
    expect(all.items.map((x) => x.id)).toEqual(newestFirst);
    expect(all.nextCursor).toBeNull();
    const created = all.items.map((x) => x.createdAt);
    expect([...created].sort().reverse()).toEqual(created);
    const exact = await list(`?limit=${newestFirst.length}`);
    expect(exact.nextCursor).toBeNull();
    expect((await admin.client.get('/api/v1/api-tokens?limit=200')).statusCode).toBe(200);
  });

  it('lists revoked tokens too; tokens created in the same instant, or between pages, appear exactly once', async () => {
    await admin.stepUp();
    const revoked = await admin.client.delete(`/api/v1/api-tokens/${tokens[0].id}`);
    expect(revoked.statusCode, revoked.body).toBe(204);
    const p1 = await list('?limit=1');
    // Three in the same millisecond: their ids order them, so paging still sees each once.
    for (const name of ['same-1', 'same-2', 'same-3']) await createToken(name);
    const seen = [...p1.items.map((x) => x.id)];
    let cursor = p1.nextCursor;
    while (cursor) {
      const p = await list(`?limit=1&cursor=${cursor}`);
      seen.push(...p.items.map((x) => x.id));
      cursor = p.nextCursor;
    }
    const before = tokens.slice(0, -3).map((x) => x.id).reverse();
    expect(seen).toEqual(before);
    const now = await list();
    expect(now.items).toHaveLength(tokens.length);
    expect(new Set(now.items.map((x) => x.id))).toEqual(new Set(tokens.map((x) => x.id)));
    expect(now.items.slice(0, 3).map((x) => x.name).sort()).toEqual(['same-1', 'same-2', 'same-3']);
    expect(now.items.find((x) => x.id === tokens[0].id)?.revokedAt).toEqual(expect.any(String));
    const created = now.items.map((x) => x.createdAt);
    expect([...created].sort().reverse()).toEqual(created);
  });

  it('answers 400 invalid_input (problem+json) for a limit outside 1–200 or a malformed cursor', async () => {
    await admin.stepUp();
    const bad = [
      'limit=0',
      'limit=201',
      'limit=-1',
      'limit=1.5',
      'limit=abc',
      'cursor=garbage',
      'cursor=',
      'cursor=123',
      `cursor=${tokens[0].id}x`,
      `cursor=${tokens[0].id.toUpperCase()}`,
      `cursor=${tokens[0].id.replace('tok_', 'pa_')}`,
      "cursor=tok_'%20OR%201=1--",
      `cursor=${'tok_'.padEnd(120, 'a')}`,
    ];
    for (const q of bad) {
      const r = await admin.client.get(`/api/v1/api-tokens?${q}`);
      expect(r.statusCode, q).toBe(400);
      expect(r.headers['content-type'], q).toContain('application/problem+json');
      expect(r.json().code, q).toBe('invalid_input');
    }
  });
});
