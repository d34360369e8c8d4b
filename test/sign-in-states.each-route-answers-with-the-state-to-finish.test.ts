import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA } from './helpers/mfa.js';
import type { Client } from './helpers/client.js';

// API.md, sign-in states: a session may call only what its state allows, and "any other call
// answers 401 `unauthenticated` (anonymous), 401 `mfa_required` or 403 `enrollment_required`".
// A session that must enroll was told 401 `unauthenticated` ("no sign-in is waiting") by the
// routes that finish a pending sign-in, as if it were signed out; it is told to enroll.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  const admin = await staffWithMFA(t, 'admin');
  await admin.stepUp();
  expect((await admin.client.put('/api/v1/settings/mfa', { policy: 'required', reason: 'everyone protects their account' })).statusCode).toBe(200);
});
afterAll(async () => {
  await t.close();
});

const calls: Array<[string, string, Record<string, unknown>?]> = [
  ['POST', '/api/v1/auth/mfa/verify', { method: 'totp', code: '123456' }],
  ['POST', '/api/v1/auth/mfa/webauthn/options'],
  ['POST', '/api/v1/auth/setup-link', { token: 'x'.repeat(43) }],
  ['POST', '/api/v1/auth/mfa/recovery-requests', { message: 'Lost my phone' }],
  ['GET', '/api/v1/me/tickets'],
  ['POST', '/api/v1/me/mfa/recovery-codes'],
];

async function answers(c: Client): Promise<Array<[string, number, string]>> {
  const out: Array<[string, number, string]> = [];
  for (const [method, url, body] of calls) {
    const r = method === 'GET' ? await c.get(url) : await c.post(url, body);
    expect(r.headers['content-type'], `${method} ${url}`).toContain('application/problem+json');
    out.push([`${method} ${url}`, r.statusCode, r.json().code]);
  }
  return out;
}

describe('sign-in states', () => {
  it('a session that must enroll is told 403 enrollment_required by every route it may not call', async () => {
    const { client, email } = await signUpContact(t);
    await client.post('/api/v1/auth/logout');
    const c = t.client();
    expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('enrollment_required');
    expect(await answers(c)).toEqual(calls.map(([m, u]) => [`${m} ${u}`, 403, 'enrollment_required']));
  });

  it('a pending sign-in is told 401 mfa_required by the routes it may not call', async () => {
    const { client, email } = await signUpContact(t);
    await enrollTOTP(t, client);
    const c = t.client();
    expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
    for (const [method, url] of [['GET', '/api/v1/me/tickets'], ['POST', '/api/v1/me/mfa/recovery-codes']] as const) {
      const r = method === 'GET' ? await c.get(url) : await c.post(url);
      expect([r.statusCode, r.json().code], `${method} ${url}`).toEqual([401, 'mfa_required']);
    }
  });

  it('a full session has no sign-in pending: 401 unauthenticated from the routes that finish one', async () => {
    const { client } = await signUpContact(t);
    await enrollTOTP(t, client);
    for (const [method, url, body] of calls.slice(0, 4)) {
      const r = await client.post(url, body);
      expect([r.statusCode, r.json().code], `${method} ${url}`).toEqual([401, 'unauthenticated']);
    }
  });
});
