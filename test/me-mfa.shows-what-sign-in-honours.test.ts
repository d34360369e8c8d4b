import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import type { Client } from './helpers/client.js';
import { MailSink } from './helpers/mail-sink.js';
import { changeMFASettings, loginState, rememberedBrowser as rememberedDevice, signedOutCustomer } from './helpers/remembered-devices.js';
import { codeFor, enrollTOTP, nextStep, staffWithMFA } from './helpers/mfa.js';

/**
 * GET /me/mfa tells a customer what their sign-in will do (PRODUCT.md §3, API.md): the
 * remembered devices listed are the ones that skip the second step now, each with the expiry
 * sign-in applies, and `enrollmentRequired` says whether the next sign-in asks for a setup.
 * It listed a device remembered for 30 days with its 30-day expiry after the admin shortened
 * the period to 7, past the 7 days (and with 0 days, or under policy `off`) when sign-in no
 * longer let it skip anything; and it said `enrollmentRequired: true` under `off`, where
 * nobody is asked to enroll.
 */

const DAY = 86_400_000;
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const settings = (change: Parameters<typeof changeMFASettings>[1]): Promise<void> => changeMFASettings(t, change);
const customer = (): ReturnType<typeof signedOutCustomer> => signedOutCustomer(t);
const rememberedBrowser = async (c: { email: string; secret: Buffer }): Promise<Client> => (await rememberedDevice(t, c)).browser;
const skipsSecondStep = async (b: Client, email: string): Promise<boolean> => (await loginState(b, email)) === 'authenticated';

interface Overview {
  enrollmentRequired: boolean;
  rememberedDevices: Array<{ id: string; createdAt: string; expiresAt: string }>;
}

/** GET /me/mfa, from a fresh browser signed in the way the current settings ask. */
async function overview(c: { email: string; secret?: Buffer }): Promise<Overview> {
  const b = t.client();
  const login = await b.post('/api/v1/auth/login', { email: c.email, password: PASSWORD });
  expect(login.statusCode, login.body).toBe(200);
  if (login.json().state === 'mfa_required') {
    nextStep(t);
    const r = await b.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, c.secret!) });
    expect(r.statusCode, r.body).toBe(200);
  }
  const r = await b.get('/api/v1/me/mfa');
  expect(r.statusCode, r.body).toBe(200);
  await b.post('/api/v1/auth/logout');
  return r.json();
}

const plus = (iso: string, days: number): string => new Date(new Date(iso).getTime() + days * DAY).toISOString();

describe('GET /me/mfa lists the remembered devices sign-in honours, with the expiry it applies', () => {
  it('after the admin shortens the period: the shorter expiry, and nothing once past it, even when the period grows back', async () => {
    const c = await customer();
    const browser = await rememberedBrowser(c);
    const [device] = (await overview(c)).rememberedDevices;
    expect(device.expiresAt).toBe(plus(device.createdAt, 30));
    await settings({ rememberDeviceDays: 7 });
    try {
      t.clock.advance(2 * DAY);
      expect(await skipsSecondStep(browser, c.email)).toBe(true);
      expect((await overview(c)).rememberedDevices.map((d) => [d.id, d.expiresAt])).toEqual([[device.id, plus(device.createdAt, 7)]]);
      t.clock.advance(6 * DAY);
      // Day 8: sign-in no longer honours it, so it is not listed as if it did.
      expect(await skipsSecondStep(browser, c.email)).toBe(false);
      expect((await overview(c)).rememberedDevices).toEqual([]);
    } finally {
      await settings({ rememberDeviceDays: 30 });
    }
    // The period is 30 days again, but the shortening ended the device at day 7 for good: a
    // device its owner could no longer see never starts skipping the second step again.
    expect(await skipsSecondStep(browser, c.email)).toBe(false);
    expect((await overview(c)).rememberedDevices).toEqual([]);
  });

  it('with 0 days: none, as sign-in honours none, and none again after', async () => {
    const c = await customer();
    const browser = await rememberedBrowser(c);
    expect((await overview(c)).rememberedDevices).toHaveLength(1);
    await settings({ rememberDeviceDays: 0 });
    try {
      expect(await skipsSecondStep(browser, c.email)).toBe(false);
      expect((await overview(c)).rememberedDevices).toEqual([]);
    } finally {
      await settings({ rememberDeviceDays: 30 });
    }
    // 0 days revoked every device: 30 days again brings none back.
    expect(await skipsSecondStep(browser, c.email)).toBe(false);
    expect((await overview(c)).rememberedDevices).toEqual([]);
  });

  it('under policy "off": none, as sign-in asks no second step for a device to skip', async () => {
    const c = await customer();
    await rememberedBrowser(c);
    await settings({ policy: 'off' });
    try {
      // Any browser is in with the password alone: the device makes no difference.
      expect(await skipsSecondStep(t.client(), c.email)).toBe(true);
      expect((await overview(c)).rememberedDevices).toEqual([]);
    } finally {
      await settings({ policy: 'optional' });
    }
    expect((await overview(c)).rememberedDevices).toHaveLength(1);
  });
});

describe('GET /me/mfa says whether the next sign-in asks for a setup', () => {
  it('not under policy "off", even after a staff reset with setup required; again once the policy is back on', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    const sup = await staffWithMFA(t, 'supervisor');
    await sup.stepUp();
    const reset = await sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'lost phone', verification: { method: 'callback' } });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(reset.json().enrollmentRequired).toBe(true);
    await settings({ policy: 'off' });
    try {
      const b = t.client();
      expect((await b.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('authenticated');
      expect((await b.get('/api/v1/me/mfa')).json()).toMatchObject({ enrolled: false, enrollmentRequired: false });
    } finally {
      await settings({ policy: 'optional' });
    }
    // Back on: the reset's setup stands, and the overview says so (to an enrollment-only session).
    const b = t.client();
    expect((await b.post('/api/v1/auth/login', { email, password: PASSWORD })).json()).toMatchObject({ state: 'mfa_required', methods: ['setup_link', 'temporary_code'] });
    const token = MailSink.token(await t.mail.waitFor(email, 'Your two-step verification was reset'), '/setup-mfa');
    expect((await b.post('/api/v1/auth/setup-link', { token })).json().state).toBe('enrollment_required');
    expect((await b.get('/api/v1/me/mfa')).json()).toMatchObject({ enrolled: false, enrollmentRequired: true });
  });

  it('under "required" a customer without a factor is asked, under "optional" not', async () => {
    const { client } = await signUpContact(t);
    expect((await client.get('/api/v1/me/mfa')).json().enrollmentRequired).toBe(false);
    await settings({ policy: 'required' });
    try {
      expect((await client.get('/api/v1/me/mfa')).json().enrollmentRequired).toBe(true);
    } finally {
      await settings({ policy: 'optional' });
    }
  });
});
