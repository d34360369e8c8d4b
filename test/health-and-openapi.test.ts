import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('health and the OpenAPI document', () => {
  it('GET /healthz answers 200 {status:"ok"} with the database up', async () => {
    const r = await t.client().get('/healthz');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ok' });
  });

  it('GET /api/openapi.json is OpenAPI 3.1 and lists every API route', async () => {
    const r = await t.client().get('/api/openapi.json');
    expect(r.statusCode).toBe(200);
    const doc = r.json();
    expect(doc.openapi).toBe('3.1.0');
    const listed = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, object>)) for (const m of Object.keys(ops)) listed.add(`${m.toUpperCase()} ${path}`);
    for (const route of [
      'GET /healthz',
      'POST /api/v1/auth/signup',
      'POST /api/v1/auth/login',
      'POST /api/v1/auth/verify-email',
      'POST /api/v1/auth/password/forgot',
      'POST /api/v1/auth/password/reset',
      'POST /api/v1/auth/invitations/accept',
      'POST /api/v1/auth/logout',
      'POST /api/v1/auth/logout-everywhere',
      'GET /api/v1/auth/session',
      'POST /api/v1/staff-auth/login',
      'GET /api/v1/staff-auth/session',
      'POST /api/v1/staff-auth/invitations/accept',
      'GET /api/v1/me',
      'PATCH /api/v1/me',
      'POST /api/v1/me/password',
      'POST /api/v1/me/email',
      'GET /api/v1/me/tickets',
      'POST /api/v1/me/tickets',
      'GET /api/v1/me/tickets/{id}',
      'POST /api/v1/me/tickets/{id}/replies',
      'GET /api/v1/contacts',
      'POST /api/v1/contacts',
      'GET /api/v1/contacts/{id}',
      'GET /api/v1/staff',
      'POST /api/v1/staff',
      'PATCH /api/v1/staff/{id}',
      'GET /api/v1/tickets',
      'GET /api/v1/tickets/{id}',
      'POST /api/v1/tickets/{id}/replies',
      'PATCH /api/v1/tickets/{id}',
      'GET /api/v1/settings/general',
      'PUT /api/v1/settings/general',
    ]) {
      expect(listed, route).toContain(route);
    }
    // Every route the server registered under /api/v1 is in the document.
    const registered = t.app.printRoutes({ commonPrefix: false });
    expect(registered).toContain('/api/v1/');
    const login = doc.paths['/api/v1/auth/login'].post;
    expect(login.requestBody.content['application/json'].schema.properties).toHaveProperty('email');
  });

  it('sends security headers', async () => {
    const r = await t.client().get('/api/v1/auth/session');
    expect(r.headers['content-security-policy']).toContain("default-src 'self'");
    expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['cache-control']).toBe('no-store');
    // On errors too (a 401 problem+json from a guard).
    const denied = await t.client().get('/api/v1/me/mfa');
    expect(denied.statusCode).toBe(401);
    expect(denied.headers['content-security-policy']).toContain("default-src 'self'");
    // And on the router's own refusals, which skip the request hooks: an id too long to be
    // one of ours (404) and a path that is not valid percent-encoding (400).
    for (const [url, status] of [[`/api/v1/contacts/${'x'.repeat(5000)}`, 404], ['/api/v1/contacts/%E0%A4%A', 400]] as const) {
      const r = await t.client().get(url);
      expect(r.statusCode, url).toBe(status);
      expect(r.headers['content-security-policy'], url).toContain("default-src 'self'");
      expect(r.headers['x-content-type-options'], url).toBe('nosniff');
    }
  });
});
