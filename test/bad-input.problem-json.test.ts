import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { countRows, staffWithRole } from './helpers/staff-session.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

async function snapshot() {
  return {
    contacts: await countRows(t, 'contacts'),
    staff: await countRows(t, 'staff'),
    tickets: await countRows(t, 'tickets'),
    messages: await countRows(t, 'ticket_messages'),
    audit: await countRows(t, 'audit_events'),
    outbox: await countRows(t, 'outbox'),
    tokens: await countRows(t, 'email_tokens'),
  };
}

function expectProblem(r: { statusCode: number; headers: Record<string, unknown>; json(): any }, status: number, code: string, what: string) {
  expect(r.statusCode, `${what}: ${JSON.stringify(r.json())}`).toBe(status);
  expect(String(r.headers['content-type']), what).toContain('application/problem+json');
  const p = r.json();
  expect(p, what).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
}

describe('bad input gets a clear 4xx problem+json with a stable code and changes nothing', () => {
  it('malformed JSON, an empty JSON body, a wrong content type', async () => {
    const { client } = await signUpContact(t);
    const admin = await staffWithRole(t, 'admin');
    const before = await snapshot();
    const cases: Array<[typeof client, string, string]> = [
      [client, 'POST', '/api/v1/auth/signup'],
      [client, 'POST', '/api/v1/auth/login'],
      [client, 'POST', '/api/v1/auth/password/reset'],
      [client, 'POST', '/api/v1/me/tickets'],
      [client, 'PATCH', '/api/v1/me'],
      [admin.client, 'POST', '/api/v1/staff'],
      [admin.client, 'PUT', '/api/v1/settings/general'],
      [admin.client, 'POST', '/api/v1/contacts'],
    ];
    for (const [c, method, url] of cases) {
      for (const body of ['{"email": "a@b.c",', '{not json}', '[1,2', 'null x']) {
        expectProblem(await c.request(method, url, body, { 'content-type': 'application/json' }), 400, 'invalid_input', `${method} ${url} ${body}`);
      }
      expectProblem(await c.request(method, url, '', { 'content-type': 'application/json' }), 400, 'invalid_input', `${method} ${url} empty`);
      // API.md's closed list of codes has no 415: a body that is not JSON is bad input.
      const form = await c.request(method, url, 'email=a', { 'content-type': 'application/x-www-form-urlencoded' });
      expectProblem(form, 400, 'invalid_input', `${method} ${url} form`);
      expect(form.json().detail).toMatch(/application\/json/);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('wrong types, missing and out-of-range fields name the field', async () => {
    const { client } = await signUpContact(t);
    const admin = await staffWithRole(t, 'admin');
    const before = await snapshot();
    const cases: Array<[typeof client, string, string, unknown, string?]> = [
      [client, 'POST', '/api/v1/auth/signup', { email: 'not-an-email', password: 'long enough pw', name: 'X' }, 'body.email'],
      [client, 'POST', '/api/v1/auth/signup', { email: 'a@example.com', password: 'short', name: 'X' }, 'body.password'],
      [client, 'POST', '/api/v1/auth/signup', { email: 'a@example.com', password: 'x'.repeat(129), name: 'X' }, 'body.password'],
      [client, 'POST', '/api/v1/auth/signup', { email: 42, password: 'long enough pw', name: 'X' }, 'body.email'],
      [client, 'POST', '/api/v1/auth/signup', { email: 'a@example.com', password: 'long enough pw' }, 'body.name'],
      [client, 'POST', '/api/v1/auth/login', { email: ['a'], password: 'x' }, 'body.email'],
      [client, 'POST', '/api/v1/auth/login', [], undefined],
      [client, 'POST', '/api/v1/auth/verify-email', { token: 123 }, 'body.token'],
      [client, 'POST', '/api/v1/auth/password/forgot', { email: null }, 'body.email'],
      [client, 'POST', '/api/v1/me/tickets', { subject: '', message: 'x' }, 'body.subject'],
      [client, 'POST', '/api/v1/me/tickets', { subject: 'x'.repeat(201), message: 'x' }, 'body.subject'],
      [client, 'POST', '/api/v1/me/tickets', { subject: 'ok', message: { html: true } }, 'body.message'],
      [client, 'PATCH', '/api/v1/me', { name: '   ' }, 'body.name'],
      [client, 'POST', '/api/v1/me/password', { currentPassword: 'x', newPassword: 'short' }, 'body.newPassword'],
      [admin.client, 'POST', '/api/v1/staff', { email: 'n@example.com', name: 'N', role: 'owner' }, 'body.role'],
      [admin.client, 'PATCH', `/api/v1/staff/${admin.account.id}`, {}, undefined],
      [admin.client, 'PATCH', `/api/v1/staff/${admin.account.id}`, { active: 'no' }, 'body.active'],
      [admin.client, 'PUT', '/api/v1/settings/general', { allowSignup: 'false' }, 'body.allowSignup'],
      [admin.client, 'POST', '/api/v1/contacts', { email: 'c@example.com', name: 'C', invite: 'yes' }, 'body.invite'],
    ];
    for (const [c, method, url, body, field] of cases) {
      const r = await c.request(method, url, body as object);
      expectProblem(r, 400, 'invalid_input', `${method} ${url} ${JSON.stringify(body)}`);
      if (field) expect(r.json().detail).toContain(field);
    }
    for (const q of ['limit=0', 'limit=201', 'limit=1.5', 'cursor=abc', 'mfa=maybe', `query=${'x'.repeat(201)}`]) {
      expectProblem(await admin.client.get(`/api/v1/contacts?${q}`), 400, 'invalid_input', q);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('a body over 256 KiB is 413 payload_too_large', async () => {
    const { client } = await signUpContact(t);
    const before = await snapshot();
    const huge = JSON.stringify({ subject: 'big', message: 'x'.repeat(300 * 1024) });
    expectProblem(await client.request('POST', '/api/v1/me/tickets', huge, { 'content-type': 'application/json' }), 413, 'payload_too_large', 'ticket');
    expectProblem(await t.client().request('POST', '/api/v1/auth/login', JSON.stringify({ email: 'a@b.c', password: 'p'.repeat(400 * 1024) }), { 'content-type': 'application/json' }), 413, 'payload_too_large', 'login');
    expect(await snapshot()).toEqual(before);
  });

  it('unknown ids are 404 not_found, unknown API routes too', async () => {
    const agent = await staffWithRole(t, 'agent');
    const admin = await staffWithRole(t, 'admin');
    const before = await snapshot();
    const long = 'a'.repeat(99);
    const longer = 'a'.repeat(150);
    for (const url of [
      '/api/v1/contacts/ct_00000000000000000000000000',
      '/api/v1/contacts/garbage',
      '/api/v1/tickets/tk_nope',
      '/api/v1/tickets/x',
      // API.md: a malformed id, however long, is 404 like an unknown one.
      `/api/v1/contacts/ct_${long}`,
      `/api/v1/contacts/ct_${longer}`,
      `/api/v1/contacts/ct_${longer}/mfa`,
      `/api/v1/tickets/tk_${longer}`,
    ]) {
      expectProblem(await agent.client.get(url), 404, 'not_found', url);
    }
    // Cursors are ours or 400, even past what a 64-bit integer holds (PostgreSQL's bigint).
    for (const url of ['/api/v1/contacts', '/api/v1/tickets', '/api/v1/audit-events', '/api/v1/staff']) {
      for (const cursor of ['9'.repeat(30), '-1', '1e5', 'abc']) {
        const who = url.endsWith('audit-events') || url.endsWith('staff') ? admin : agent;
        expectProblem(await who.client.get(`${url}?cursor=${cursor}`), 400, 'invalid_input', `${url}?cursor=${cursor}`);
      }
    }
    for (const url of ['/api/v1/staff/st_00000000000000000000000000', '/api/v1/staff/ct_123', `/api/v1/staff/st_${longer}`]) {
      expectProblem(await admin.client.get(url), 404, 'not_found', url);
      expectProblem(await admin.client.patch(url, { role: 'agent' }), 404, 'not_found', `PATCH ${url}`);
    }
    for (const [method, url] of [
      ['GET', '/api/v1/nothing-here'],
      ['GET', '/api/v2/contacts'],
      ['DELETE', '/api/v1/tickets'],
      ['GET', '/api/nope?token=secret'],
      ['GET', `/api/v1/contacts/${'x'.repeat(5000)}`],
    ]) {
      const r = await agent.client.request(method, url);
      expectProblem(r, 404, 'not_found', `${method} ${url}`);
      expect(r.json().detail).not.toContain('secret');
    }
    // A path that is not valid percent-encoding is bad input, still problem+json.
    expectProblem(await agent.client.get('/api/v1/contacts/%E0%A4%A'), 400, 'invalid_input', 'bad percent-encoding');
    expect(await snapshot()).toEqual(before);
  });
});
