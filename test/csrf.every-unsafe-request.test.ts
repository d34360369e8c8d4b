import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { countRows, staffWithRole } from './helpers/staff-session.js';
import type { Client } from './helpers/client.js';

let t: TestApp;
let unsafe: Array<{ method: string; url: string }>;
beforeAll(async () => {
  t = await createTestApp();
  // Every state-changing route the server has, as the OpenAPI document lists them.
  const doc = (await t.client().get('/api/openapi.json')).json() as { paths: Record<string, Record<string, unknown>> };
  unsafe = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const method of Object.keys(ops)) {
      if (['post', 'put', 'patch', 'delete'].includes(method)) {
        unsafe.push({ method: method.toUpperCase(), url: path.replace(/\{id\}/g, 'tk_00000000000000000000000000').replace(/\{[^}]+\}/g, 'x') });
      }
    }
  }
});
afterAll(async () => {
  await t.close();
});

async function sendWithout(c: Client, method: string, url: string, headers: Record<string, string> = {}) {
  c.csrf = false;
  try {
    return await c.request(method, url, { email: 'x@example.com', password: 'whatever123', token: 'a'.repeat(43), name: 'X', message: 'm', subject: 's' }, headers);
  } finally {
    c.csrf = true;
  }
}

describe('CSRF: every unsafe cookie request needs the right x-csrf-token', () => {
  it('finds the unsafe routes to check', () => {
    expect(unsafe.length).toBeGreaterThan(20);
    expect(unsafe).toContainEqual({ method: 'POST', url: '/api/v1/auth/login' });
    expect(unsafe).toContainEqual({ method: 'POST', url: '/api/v1/auth/signup' });
  });

  it('answers 403 csrf_failed with no token, a wrong token, or the other audience\'s token, signed in or not, and changes nothing', async () => {
    const contact = await signUpContact(t);
    const admin = await staffWithRole(t, 'admin');
    const anonymous = t.client();
    await anonymous.get('/api/v1/auth/session'); // holds a CSRF seed cookie
    const before = { audit: await countRows(t, 'audit_events'), contacts: await countRows(t, 'contacts'), sessions: await countRows(t, 'sessions'), tickets: await countRows(t, 'tickets') };

    for (const c of [anonymous, contact.client, admin.client]) {
      const contactToken = await c.csrfToken('/api/v1/auth/session');
      const staffToken = await c.csrfToken('/api/v1/staff-auth/session');
      for (const { method, url } of unsafe) {
        const staffSide = !/^\/api\/v1\/(auth|me)(\/|$)/.test(url);
        const wrongAudience = staffSide ? contactToken : staffToken;
        const variants: Array<Record<string, string>> = [{}, { 'x-csrf-token': 'wrong' }, { 'x-csrf-token': '' }, { 'x-csrf-token': wrongAudience }];
        for (const headers of variants) {
          const r = await sendWithout(c, method, url, headers);
          expect(r.statusCode, `${method} ${url} ${JSON.stringify(headers)}`).toBe(403);
          expect(r.headers['content-type']).toContain('application/problem+json');
          expect(r.json().code).toBe('csrf_failed');
        }
      }
    }
    const after = { audit: await countRows(t, 'audit_events'), contacts: await countRows(t, 'contacts'), sessions: await countRows(t, 'sessions'), tickets: await countRows(t, 'tickets') };
    expect(after).toEqual(before);
    // The sessions still work with the right token.
    expect((await contact.client.post('/api/v1/me/tickets', { subject: 'ok', message: 'ok' })).statusCode).toBe(201);
  });

  it('rejects a request with no cookies at all, and a token that belonged to a session that has ended', async () => {
    const bare = t.client();
    bare.csrf = false;
    expect((await bare.post('/api/v1/auth/login', { email: 'a@example.com', password: 'x' }, { 'x-csrf-token': 'anything' })).json().code).toBe('csrf_failed');

    const { client } = await signUpContact(t);
    const old = await client.csrfToken('/api/v1/me/tickets');
    expect((await client.post('/api/v1/auth/logout')).statusCode).toBe(204);
    const r = await sendWithout(client, 'POST', '/api/v1/auth/logout', { 'x-csrf-token': old });
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('csrf_failed');
  });

  it('gives a new token at sign-in (bound to the new session) and does not ask bearer-token API calls for one', async () => {
    const { client, email } = await signUpContact(t);
    const before = await client.csrfToken('/api/v1/auth/login');
    const login = await client.post('/api/v1/auth/login', { email, password: 'correct horse battery' });
    expect(login.json().csrfToken).toMatch(/^[0-9a-f]{64}$/);
    expect(login.json().csrfToken).not.toBe(before);
    expect(await client.csrfToken('/api/v1/me')).toBe(login.json().csrfToken);

    const api = t.client();
    api.csrf = false;
    const r = await api.post('/api/v1/contacts', { email: 'z@example.com', name: 'Z' }, { authorization: 'Bearer not-a-real-token' });
    expect(r.statusCode).toBe(401);
    expect(r.json().code).toBe('unauthenticated');
  });

  it('never lets a bearer header carry a cookie session past the CSRF check', async () => {
    // A bearer request skips CSRF; with any Authorization: Bearer value, the cookies it also
    // carries must sign nothing in, customer or staff.
    const { client } = await signUpContact(t);
    const admin = await staffWithRole(t, 'admin');
    const tickets = await countRows(t, 'tickets');
    for (const [c, method, url, body] of [
      [client, 'POST', '/api/v1/me/tickets', { subject: 'forged', message: 'forged' }],
      [client, 'POST', '/api/v1/auth/logout-everywhere', {}],
      [client, 'PATCH', '/api/v1/me', { name: 'Forged' }],
      [admin.client, 'POST', '/api/v1/api-tokens', { name: 'forged', scopes: ['contacts:read'] }],
      [admin.client, 'POST', '/api/v1/staff-auth/logout-everywhere', {}],
    ] as const) {
      c.csrf = false;
      try {
        const r = await c.request(method, url, body, { authorization: 'Bearer junk' });
        // 401 (the token is no good), or 403 where only a session may call (API tokens).
        expect([401, 403], `${method} ${url}: ${r.statusCode}`).toContain(r.statusCode);
      } finally {
        c.csrf = true;
      }
    }
    expect(await countRows(t, 'tickets')).toBe(tickets);
    expect(await t.ctx.db.selectFrom('api_tokens').select('id').where('name', '=', 'forged').execute()).toEqual([]);
    expect((await admin.client.get('/api/v1/staff-auth/session')).json().state).toBe('authenticated');
    expect((await client.get('/api/v1/me')).json().name).not.toBe('Forged');
    expect((await client.get('/api/v1/auth/session')).json().state).toBe('authenticated');
  });

  it('lets safe methods through without a token', async () => {
    const c = t.client();
    c.csrf = false;
    expect((await c.get('/api/v1/auth/session')).statusCode).toBe(200);
    expect((await c.get('/api/v1/help-center')).statusCode).toBe(200);
  });
});
