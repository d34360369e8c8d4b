import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { countRows, staffWithRole } from './helpers/staff-session.js';

// PRODUCT.md §7: bad input gets a clear 4xx in application/problem+json and changes nothing.
// PostgreSQL cannot store a NUL character in text and answered such a value with an error (a
// 500); SQLite stored it. Both now refuse it, in a body or in the address, before any work.

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
    tickets: await countRows(t, 'tickets'),
    messages: await countRows(t, 'ticket_messages'),
    audit: await countRows(t, 'audit_events'),
    outbox: await countRows(t, 'outbox'),
    limits: Number((await t.ctx.db.selectFrom('rate_limits').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
  };
}

function expectRefused(r: { statusCode: number; headers: Record<string, unknown>; json(): any }, what: string) {
  expect(r.statusCode, `${what}: ${r.json().detail}`).toBe(400);
  expect(String(r.headers['content-type']), what).toContain('application/problem+json');
  expect(r.json().code, what).toBe('invalid_input');
  expect(r.json().detail, what).toMatch(/NUL/);
}

describe('a NUL character', () => {
  it('in any text of a JSON body is 400 invalid_input, and nothing changes', async () => {
    const { client, email } = await signUpContact(t);
    const before = await snapshot();
    const anon = t.client();
    expectRefused(await anon.post('/api/v1/auth/signup', { email: 'new\u0000@example.com', password: PASSWORD, name: 'New' }), 'sign-up email');
    expectRefused(await anon.post('/api/v1/auth/signup', { email: 'new-person@example.com', password: PASSWORD, name: 'Nu\u0000ll' }), 'sign-up name');
    expectRefused(await anon.post('/api/v1/auth/login', { email: `${email}\u0000`, password: PASSWORD }), 'sign-in email');
    expectRefused(await client.post('/api/v1/me/tickets', { subject: 'Help\u0000', message: 'Locked out' }), 'ticket subject');
    expectRefused(await client.post('/api/v1/me/tickets', { subject: 'Help', message: 'Locked', extra: { 'k\u0000': 1 } }), 'a key');
    expect(await snapshot()).toEqual(before);
    // The same text with an escaped backslash is not a NUL, and goes through.
    expect((await client.post('/api/v1/me/tickets', { subject: 'Path C:\\u0000', message: 'A backslash, then u0000' })).statusCode).toBe(201);
  });

  it('in the address (a query or a path segment) is 400 invalid_input', async () => {
    const { client: admin } = await staffWithRole(t, 'admin');
    expectRefused(await admin.get('/api/v1/contacts?q=ab%00cd'), 'search query');
    expectRefused(await admin.get('/api/v1/contacts/ct_%00/mfa'), 'path segment');
    // A percent sign spelled out is not a NUL.
    expect((await admin.get('/api/v1/contacts?q=ab%2500cd')).statusCode).toBe(200);
  });
});
