import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff, createTestApp, PASSWORD, signInStaff, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, secretFromBase32 } from './helpers/mfa.js';
import type { Client } from './helpers/client.js';

let t: TestApp;
let admin: Client;
let adminSecret: Buffer;

async function setPolicy(change: Record<string, unknown>) {
  nextStep(t);
  const up = await admin.post('/api/v1/staff-auth/step-up', { method: 'totp', code: codeFor(t, adminSecret) });
  expect(up.statusCode, up.body).toBe(200);
  const r = await admin.put('/api/v1/settings/mfa', { ...change, reason: 'test' });
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
}

beforeAll(async () => {
  t = await createTestApp();
  const a = await createStaff(t, 'admin');
  admin = await signInStaff(t, a.email);
  // Admins must enroll before the console lets them act.
  expect((await admin.get('/api/v1/staff-auth/session')).json().state).toBe('enrollment_required');
  const start = await admin.post('/api/v1/staff-me/mfa/totp');
  adminSecret = secretFromBase32(start.json().secret);
  const ok = await admin.post(`/api/v1/staff-me/mfa/totp/${start.json().factorId}/confirm`, { code: codeFor(t, adminSecret) });
  expect(ok.json().state).toBe('authenticated');
});
afterAll(async () => {
  await t.close();
});

describe('MFA policy', () => {
  it('under "required", a customer whose email is not confirmed can get a new link from the enrollment step, confirm, then enroll', async () => {
    const { MailSink } = await import('./helpers/mail-sink.js');
    const email = `unconfirmed-${Date.now()}@example.com`;
    const c = t.client();
    expect((await c.post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Una Confirmed' })).statusCode).toBe(201);
    const first = MailSink.token(await t.mail.waitFor(email, 'Confirm your email'), '/verify-email');
    await setPolicy({ policy: 'required' });
    try {
      // (The first link may have expired or been lost: the enrollment step can ask for another.)
      const login = await c.post('/api/v1/auth/login', { email, password: PASSWORD });
      expect(login.json().state).toBe('enrollment_required');
      expect((await c.get('/api/v1/auth/session')).json().contact.emailVerified).toBe(false);
      // Enrollment waits for the address; the enrollment step can ask for a new link.
      expect((await c.post('/api/v1/me/mfa/totp')).statusCode).toBe(403);
      const resend = await c.post('/api/v1/auth/verify-email/resend');
      expect(resend.statusCode, resend.body).toBe(202);
      let second: string | undefined;
      for (let i = 0; i < 50 && !second; i++) {
        const tokens = t.mail.to(email).filter((m) => m.subject.includes('Confirm your email')).map((m) => MailSink.token(m, '/verify-email'));
        second = tokens.find((x) => x !== first);
        if (!second) await new Promise((r) => setTimeout(r, 100));
      }
      const v = await c.post('/api/v1/auth/verify-email', { token: second! });
      expect(v.statusCode, v.body).toBe(200);
      const start = await c.post('/api/v1/me/mfa/totp');
      expect(start.statusCode, start.body).toBe(201);
      const confirm = await c.post(`/api/v1/me/mfa/totp/${start.json().factorId}/confirm`, { code: codeFor(t, secretFromBase32(start.json().secret)) });
      expect(confirm.json()).toMatchObject({ state: 'authenticated' });
    } finally {
      await setPolicy({ policy: 'optional' });
    }
  });

  it('under "required", a customer without a factor must enroll right after the password, and nothing else works until then', async () => {
    const { client, email } = await signUpContact(t);
    await client.post('/api/v1/auth/logout');
    await setPolicy({ policy: 'required' });
    try {
      const c = t.client();
      const login = await c.post('/api/v1/auth/login', { email, password: PASSWORD });
      expect(login.json().state).toBe('enrollment_required');
      const tickets = await c.get('/api/v1/me/tickets');
      expect(tickets.statusCode).toBe(403);
      expect(tickets.json().code).toBe('enrollment_required');
      const start = await c.post('/api/v1/me/mfa/totp');
      expect(start.statusCode).toBe(201);
      const before = c.cookies.get('portico_session');
      const secret = secretFromBase32(start.json().secret);
      const confirm = await c.post(`/api/v1/me/mfa/totp/${start.json().factorId}/confirm`, { code: codeFor(t, secret) });
      expect(confirm.json()).toMatchObject({ state: 'authenticated' });
      expect(confirm.json().recoveryCodes).toHaveLength(10);
      expect(c.cookies.get('portico_session')).not.toBe(before);
      expect((await c.get('/api/v1/me/tickets')).statusCode).toBe(200);
      // The last factor cannot be removed while MFA is required.
      const last = await c.delete(`/api/v1/me/mfa/factors/${start.json().factorId}`);
      expect(last.statusCode).toBe(409);
    } finally {
      await setPolicy({ policy: 'optional' });
    }
  });

  it('under "off", nobody is asked for a second step and enrollment is hidden', async () => {
    const { client, email } = await signUpContact(t);
    await enrollTOTP(t, client);
    await setPolicy({ policy: 'off' });
    try {
      const c = t.client();
      expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('authenticated');
      expect((await c.post('/api/v1/me/mfa/totp')).statusCode).toBe(403);
      expect((await t.client().get('/api/v1/help-center')).json().mfaPolicy).toBe('off');
    } finally {
      await setPolicy({ policy: 'optional' });
    }
  });

  it('changing the policy needs a reason and a step-up, and emails every admin', async () => {
    t.clock.advance(6 * 60_000);
    const noStepUp = await admin.put('/api/v1/settings/mfa', { policy: 'required', reason: 'x' });
    expect(noStepUp.json().code).toBe('step_up_required');
    const noReason = await admin.put('/api/v1/settings/mfa', { policy: 'required' });
    expect(noReason.statusCode).toBe(400);
    const adminEmail = (await admin.get('/api/v1/staff-auth/session')).json().staff.email;
    await setPolicy({ policy: 'required' });
    await t.mail.waitFor(adminEmail, 'MFA policy changed to "required"');
    await setPolicy({ policy: 'optional' });
  });
});

describe('self-service', () => {
  it('lists, renames and removes factors; adding and removing need a step-up once a factor exists', async () => {
    const { client, email, id } = await signUpContact(t);
    const phone = await enrollTOTP(t, client, 'contact', 'Phone');
    expect(await t.ctx.db.selectFrom('recovery_codes').selectAll().where('owner_id', '=', id).execute()).toHaveLength(10);
    t.clock.advance(6 * 60_000);
    const add = await client.post('/api/v1/me/mfa/totp');
    expect(add.json().code).toBe('step_up_required');
    expect((await client.post('/api/v1/auth/step-up', { method: 'totp', code: '000000' })).json().code).toBe('invalid_code');
    expect((await client.post('/api/v1/auth/step-up', { method: 'totp', code: codeFor(t, phone.secret) })).statusCode).toBe(200);
    const tablet = await enrollTOTP(t, client, 'contact', 'Tablet');
    expect(tablet.recoveryCodes).toBeUndefined(); // only the first factor brings codes
    const renamed = await client.patch(`/api/v1/me/mfa/factors/${tablet.factorId}`, { name: 'Old tablet' });
    expect(renamed.json().name).toBe('Old tablet');
    const list = (await client.get('/api/v1/me/mfa')).json();
    expect(list.factors.map((f: { name: string }) => f.name)).toEqual(['Phone', 'Old tablet']);
    expect(list.factors[0]).toHaveProperty('lastUsedAt');
    expect((await client.delete(`/api/v1/me/mfa/factors/${tablet.factorId}`)).statusCode).toBe(204);
    await t.mail.waitFor(email, 'A sign-in method was removed');
    // Removing the last factor takes the recovery codes with it.
    expect((await client.delete(`/api/v1/me/mfa/factors/${phone.factorId}`)).statusCode).toBe(204);
    expect((await client.get('/api/v1/me/mfa')).json()).toMatchObject({ enrolled: false, recoveryCodesLeft: 0 });
    expect(await t.ctx.db.selectFrom('recovery_codes').selectAll().where('owner_id', '=', id).execute()).toHaveLength(0);
    expect((await client.delete('/api/v1/me/mfa/factors/fa_unknown')).statusCode).toBe(404);
  });

  it('stores the TOTP seed only encrypted', async () => {
    const { client } = await signUpContact(t);
    const { factorId, secret } = await enrollTOTP(t, client);
    const row = await t.ctx.db.selectFrom('mfa_factors').selectAll().where('id', '=', factorId).executeTakeFirstOrThrow();
    expect(row.secret_sealed).toMatch(/^v1\./);
    expect(row.secret_sealed).not.toContain(secret.toString('base64'));
    expect(row.secret_sealed).not.toContain(secret.toString('hex'));
    const codes = await t.ctx.db.selectFrom('recovery_codes').select('code_hash').execute();
    for (const c of codes) expect(c.code_hash).toMatch(/^\$argon2id\$/);
  });
});

describe('remember this device', () => {
  it('skips the second step on that browser only, is listed, and can be revoked', async () => {
    const { client, email } = await signUpContact(t);
    const { secret } = await enrollTOTP(t, client);
    nextStep(t);
    const browser = t.client();
    await browser.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await browser.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, secret), rememberDevice: true })).statusCode).toBe(200);
    expect(browser.cookies.get('portico_device')).toBeTruthy();
    await browser.post('/api/v1/auth/logout');
    expect((await browser.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('authenticated');
    // Another browser still gets the second step.
    expect((await t.client().post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
    // A remembered device never counts as a step-up.
    t.clock.advance(6 * 60_000);
    expect((await browser.post('/api/v1/me/mfa/recovery-codes')).json().code).toBe('step_up_required');
    const devices = (await browser.get('/api/v1/me/mfa')).json().rememberedDevices;
    expect(devices).toHaveLength(1);
    expect(devices[0].browser).toBe('Chrome on Linux');
    expect((await browser.delete(`/api/v1/me/mfa/remembered-devices/${devices[0].id}`)).statusCode).toBe(204);
    await browser.post('/api/v1/auth/logout');
    expect((await browser.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
  });

  it('is off when the admin sets 0 days', async () => {
    const { client, email } = await signUpContact(t);
    const { secret } = await enrollTOTP(t, client);
    await setPolicy({ rememberDeviceDays: 0 });
    try {
      nextStep(t);
      const b = t.client();
      await b.post('/api/v1/auth/login', { email, password: PASSWORD });
      await b.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, secret), rememberDevice: true });
      expect(b.cookies.get('portico_device')).toBeUndefined();
    } finally {
      await setPolicy({ rememberDeviceDays: 30 });
    }
  });
});

describe('staff', () => {
  it('supervisors must enroll on first sign-in; agents may go without', async () => {
    const sup = await createStaff(t, 'supervisor');
    const s = await signInStaff(t, sup.email);
    const contacts = await s.get('/api/v1/contacts');
    expect(contacts.statusCode).toBe(403);
    expect(contacts.json().code).toBe('enrollment_required');
    const agent = await createStaff(t, 'agent');
    const a = await signInStaff(t, agent.email);
    expect((await a.get('/api/v1/contacts')).statusCode).toBe(200);
  });
});
