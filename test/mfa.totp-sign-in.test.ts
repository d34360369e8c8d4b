import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep } from './helpers/mfa.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('authenticator app enrollment and sign-in', () => {
  it('enrolls with a QR code and the secret, activates only on a valid code, and issues 10 recovery codes', async () => {
    const { client, email } = await signUpContact(t);
    const start = await client.post('/api/v1/me/mfa/totp');
    expect(start.statusCode).toBe(201);
    const body = start.json();
    expect(body.secret).toMatch(/^[A-Z2-7]{32}$/); // 160 bits
    expect(body.otpauthUri).toMatch(/^otpauth:\/\/totp\/Portico:/);
    expect(body.otpauthUri).toContain(encodeURIComponent(email));
    expect(body.qrSvg).toMatch(/^<svg/);
    // Not active before confirmation: sign-in asks nothing more.
    const before = await client.get('/api/v1/me/mfa');
    expect(before.json()).toMatchObject({ enrolled: false, factors: [] });
    const wrong = await client.post(`/api/v1/me/mfa/totp/${body.factorId}/confirm`, { code: '000000' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().code).toBe('invalid_code');
    const { secret } = { secret: (await import('./helpers/mfa.js')).secretFromBase32(body.secret) };
    const ok = await client.post(`/api/v1/me/mfa/totp/${body.factorId}/confirm`, { code: codeFor(t, secret), name: 'My phone' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ id: body.factorId, type: 'totp', name: 'My phone' });
    expect(ok.json().recoveryCodes).toHaveLength(10);
    for (const c of ok.json().recoveryCodes) expect(c).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const after = await client.get('/api/v1/me/mfa');
    expect(after.json()).toMatchObject({ enrolled: true, recoveryCodesLeft: 10, factors: [{ type: 'totp', name: 'My phone' }] });
    await t.mail.waitFor(email, 'A sign-in method was added');
  });

  it('asks for the second step after the password and lets nothing else through until it passes', async () => {
    const { client, email } = await signUpContact(t);
    const { secret } = await enrollTOTP(t, client);
    await client.post('/api/v1/auth/logout');
    nextStep(t);

    const c = t.client();
    const login = await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect(login.json()).toMatchObject({ state: 'mfa_required', methods: ['totp', 'recovery_code'] });
    const pendingCookie = c.cookies.get('portico_session');
    for (const [method, url] of [
      ['GET', '/api/v1/me/tickets'],
      ['GET', '/api/v1/me/mfa'],
      ['GET', '/api/v1/me'],
      ['POST', '/api/v1/me/tickets'],
      ['POST', '/api/v1/me/mfa/totp'],
      ['POST', '/api/v1/auth/step-up'],
    ] as const) {
      const r = await c.request(method, url, method === 'POST' ? { subject: 'x', message: 'y', method: 'totp', code: '123456' } : undefined);
      expect(r.statusCode, `${method} ${url}`).toBe(401);
      expect(r.json().code, `${method} ${url}`).toBe('mfa_required');
    }
    expect((await c.get('/api/v1/auth/session')).json()).toMatchObject({ state: 'mfa_required', methods: ['totp', 'recovery_code'] });

    const ok = await c.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, secret) });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().state).toBe('authenticated');
    // A new session id: the one seen before the second step is worthless now.
    expect(c.cookies.get('portico_session')).not.toBe(pendingCookie);
    expect((await c.get('/api/v1/me/tickets')).statusCode).toBe(200);
    const stale = t.client();
    stale.cookies.set('portico_session', pendingCookie!);
    expect((await stale.get('/api/v1/auth/session')).json().state).toBe('anonymous');
  });

  it('answers 401 on the pending-sign-in routes when no sign-in is pending', async () => {
    const { client, email } = await signUpContact(t);
    const { secret } = await enrollTOTP(t, client);
    nextStep(t);
    const anonymous = t.client();
    const c = t.client();
    await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await c.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, secret) })).statusCode).toBe(200);
    // Fully signed in (c), or not signed in at all: there is no second step to finish.
    for (const who of [c, anonymous]) {
      for (const [url, body] of [
        ['/api/v1/auth/mfa/verify', { method: 'totp', code: '123456' }],
        ['/api/v1/auth/mfa/webauthn/options', {}],
        ['/api/v1/auth/setup-link', { token: 'x'.repeat(43) }],
        ['/api/v1/auth/mfa/recovery-requests', { message: 'I lost my phone' }],
      ] as const) {
        const r = await who.post(url, body);
        expect(r.statusCode, `${url} ${who === c ? 'signed in' : 'anonymous'}`).toBe(401);
        expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(r.json().code).toBe('unauthenticated');
      }
    }
    // And the full session is untouched by those attempts.
    expect((await c.get('/api/v1/auth/session')).json().state).toBe('authenticated');
  });

  it('accepts a code one step early or late, but not two', async () => {
    const { client, email } = await signUpContact(t);
    const { secret } = await enrollTOTP(t, client);
    nextStep(t);
    for (const [offset, ok] of [
      [-2, false],
      [2, false],
      [1, true],
    ] as const) {
      const c = t.client();
      await c.post('/api/v1/auth/login', { email, password: PASSWORD });
      const r = await c.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, secret, offset) });
      expect(r.statusCode, `offset ${offset}`).toBe(ok ? 200 : 400);
    }
  });

  it('signs in with a recovery code once, and says how many are left', async () => {
    const { client, email } = await signUpContact(t);
    const { recoveryCodes } = await enrollTOTP(t, client);
    const code = recoveryCodes![3];
    const c = t.client();
    await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    // Typed loosely: lower case, spaces instead of dashes.
    const ok = await c.post('/api/v1/auth/mfa/verify', { method: 'recovery_code', code: code.toLowerCase().replace(/-/g, ' ') });
    expect(ok.statusCode, ok.body).toBe(200);
    expect((await c.get('/api/v1/me/mfa')).json().recoveryCodesLeft).toBe(9);
    const mail = await t.mail.waitFor(email, 'A recovery code was used');
    expect(mail.text).toContain('9 recovery codes left');
    const again = t.client();
    await again.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await again.post('/api/v1/auth/mfa/verify', { method: 'recovery_code', code })).json().code).toBe('invalid_code');
  });

  it('never turns MFA off through a password reset', async () => {
    const { client, email } = await signUpContact(t);
    await enrollTOTP(t, client);
    const c = t.client();
    await c.post('/api/v1/auth/password/forgot', { email });
    const { MailSink } = await import('./helpers/mail-sink.js');
    const token = MailSink.token(await t.mail.waitFor(email, 'Reset your password'), '/reset-password');
    expect((await c.post('/api/v1/auth/password/reset', { token, password: 'new password 123' })).statusCode).toBe(200);
    const login = await c.post('/api/v1/auth/login', { email, password: 'new password 123' });
    expect(login.json().state).toBe('mfa_required');
  });

  it('answers bad second-step input with a clean 400 and changes nothing', async () => {
    const { client, email } = await signUpContact(t);
    await enrollTOTP(t, client);
    const c = t.client();
    await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    for (const body of [{}, { method: 'sms', code: '1' }, { method: 'totp' }, { method: 'totp', code: 123456 }, { method: 'webauthn', response: 'x' }]) {
      const r = await c.post('/api/v1/auth/mfa/verify', body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(r.headers['content-type']).toContain('application/problem+json');
      expect(r.json().code).toBe('invalid_input');
    }
    const letters = await c.post('/api/v1/auth/mfa/verify', { method: 'totp', code: 'abcdef' });
    expect(letters.json().code).toBe('invalid_code');
    expect((await c.get('/api/v1/auth/session')).json().state).toBe('mfa_required');
  });
});
