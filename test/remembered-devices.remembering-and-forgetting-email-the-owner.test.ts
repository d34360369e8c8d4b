import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, type TestApp } from './helpers/app.js';
import { codeFor, nextStep } from './helpers/mfa.js';
import { rememberedBrowser, signedOutCustomer } from './helpers/remembered-devices.js';

// A remembered browser skips the second step for up to 90 days. Someone who phished a password
// and a code and ticked "Remember this browser" keeps that door open for weeks: the owner is
// told, with the browser, the time, the address and what to do, as for every other change to
// their second step. Forgetting one is told too.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('remembering and forgetting a browser emails the owner', () => {
  it('remembering says which browser, until when, from where, and what to do if it was not them', async () => {
    const c = await signedOutCustomer(t);
    await rememberedBrowser(t, c);
    const mail = await t.mail.waitFor(c.email, 'A browser was remembered for your sign-ins');
    for (const body of [mail.text, mail.html]) {
      expect(body).toMatch(/skip the second step until \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
      expect(body).toContain('When: ');
      expect(body).toContain('From: ');
      expect(body).toContain('If this was not you, change your password now');
      expect(body).toContain('forget it on your security page');
    }
  });

  it('a sign-in that does not ask to be remembered sends nothing of the kind', async () => {
    const c = await signedOutCustomer(t);
    nextStep(t);
    const b = t.client();
    await b.post('/api/v1/auth/login', { email: c.email, password: PASSWORD });
    expect((await b.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, c.secret) })).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(t.mail.to(c.email).filter((m) => m.subject.includes('remembered'))).toEqual([]);
  });

  it('forgetting one from the security page says so', async () => {
    const c = await signedOutCustomer(t);
    nextStep(t);
    const b = t.client(); // a Chrome on Linux user agent
    await b.post('/api/v1/auth/login', { email: c.email, password: PASSWORD });
    expect((await b.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, c.secret), rememberDevice: true })).statusCode).toBe(200);
    const remembered = await t.mail.waitFor(c.email, 'A browser was remembered for your sign-ins');
    expect(remembered.text).toContain('Chrome on Linux was remembered at sign-in');
    const devices = (await b.get('/api/v1/me/mfa')).json().rememberedDevices;
    expect(devices).toHaveLength(1);
    expect((await b.delete(`/api/v1/me/mfa/remembered-devices/${devices[0].id}`)).statusCode).toBe(204);
    const forgotten = await t.mail.waitFor(c.email, 'A remembered browser was forgotten');
    expect(forgotten.text).toContain('it will ask for the second step again');
    expect(forgotten.text).toContain('By: you');
  });
});
