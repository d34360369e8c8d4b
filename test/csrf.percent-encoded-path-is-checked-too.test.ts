import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { staffWithMFA } from './helpers/mfa.js';

// API.md: every unsafe, cookie-authenticated request without the right x-csrf-token answers
// 403 csrf_failed. The router decodes percent-escapes before it matches a route, so the check
// must go by the route a request reached, not by its raw URL: `/%61pi/v1/…` reaches `/api/v1/…`.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

function expectCSRFRefusal(r: { statusCode: number; headers: Record<string, unknown>; json(): { code: string } }) {
  expect(r.statusCode).toBe(403);
  expect(String(r.headers['content-type'])).toContain('application/problem+json');
  expect(r.json().code).toBe('csrf_failed');
}

describe('the CSRF check on a percent-encoded path', () => {
  it('refuses a customer request to /%61pi/… without the token, and the session lives on', async () => {
    const { client } = await signUpContact(t);
    client.csrf = false;
    for (const path of ['/%61pi/v1/auth/logout-everywhere', '/api/v1/%61uth/logout-everywhere', '/api/%76%31/auth/logout-%65verywhere']) {
      expectCSRFRefusal(await client.post(path));
    }
    expect((await client.get('/api/v1/auth/session')).json().state).toBe('authenticated');
  });

  it('takes the help center’s token on an encoded help-center path, as on the plain one', async () => {
    const { client } = await signUpContact(t);
    client.csrf = false;
    const token = (await client.get('/api/v1/auth/session')).json().csrfToken;
    const r = await client.post('/api/v1/%61uth/logout-everywhere', {}, { 'x-csrf-token': token });
    expect(r.statusCode).toBe(204);
    expect((await client.get('/api/v1/auth/session')).json().state).toBe('anonymous');
  });

  it('refuses a staff request to an encoded console path without the token', async () => {
    const staff = await staffWithMFA(t, 'admin');
    staff.client.csrf = false;
    expectCSRFRefusal(await staff.client.post('/%61pi/v1/staff-auth/logout-everywhere'));
    expect((await staff.client.get('/api/v1/staff-auth/session')).json().state).toBe('authenticated');
  });

  it('marks an API answer reached through an encoded path no-store', async () => {
    const { client } = await signUpContact(t);
    const r = await client.get('/%61pi/v1/me/tickets');
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
  });
});
