import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, type TestApp } from './helpers/app.js';
import type { Client } from './helpers/client.js';
import { codeFor, nextStep } from './helpers/mfa.js';
import { changeMFASettings, loginState, rememberedBrowser as rememberedDevice, signedOutCustomer } from './helpers/remembered-devices.js';

/**
 * When an admin shortens the remembered-device period, every stored device is shortened with
 * it, in the settings change's transaction: one already older than the new period is revoked,
 * the others end at most the new period after they were remembered. Before, a device older than
 * the new period was only ignored by sign-in and hidden from GET /me/mfa, so its owner could
 * neither see nor forget it, and lengthening the period again let it skip the second step
 * again. A device its owner cannot see must never come back.
 */

const DAY = 86_400_000;
let t: TestApp;

// A fresh app per test: a shortened period touches every device in the database, and each
// test counts what its change revoked and shortened.
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(async () => {
  await t.close();
});

const settings = (change: Parameters<typeof changeMFASettings>[1]): Promise<void> => changeMFASettings(t, change);

/** The details of the latest settings-change audit entry. */
async function lastSettingsAudit(): Promise<Record<string, unknown>> {
  const row = await t.ctx.db.selectFrom('audit_events').select('details').where('action', '=', 'settings.mfa.changed').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
  return JSON.parse(row.details ?? 'null') as Record<string, unknown>;
}

const customer = (): ReturnType<typeof signedOutCustomer> => signedOutCustomer(t);
const rememberedBrowser = async (c: { email: string; secret: Buffer }): Promise<Client> => (await rememberedDevice(t, c)).browser;
const skipsSecondStep = async (b: Client, email: string): Promise<boolean> => (await loginState(b, email)) === 'authenticated';

/** GET /me/mfa's remembered devices, from a fresh browser that passes the second step. */
async function listedDevices(c: { email: string; secret: Buffer }): Promise<Array<{ id: string; createdAt: string; expiresAt: string }>> {
  const b = t.client();
  expect((await b.post('/api/v1/auth/login', { email: c.email, password: PASSWORD })).json().state).toBe('mfa_required');
  nextStep(t);
  expect((await b.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, c.secret) })).statusCode).toBe(200);
  const r = await b.get('/api/v1/me/mfa');
  expect(r.statusCode, r.body).toBe(200);
  await b.post('/api/v1/auth/logout');
  return r.json().rememberedDevices;
}

/** The customer's device rows the database still counts as live. */
async function liveRows(ownerID: string): Promise<Array<{ id: string; created_at: string; expires_at: string }>> {
  const now = t.clock.now().toISOString();
  return t.ctx.db.selectFrom('remembered_devices').select(['id', 'created_at', 'expires_at']).where('owner_id', '=', ownerID).where('expires_at', '>', now).execute();
}

const plus = (iso: string, days: number): string => new Date(new Date(iso).getTime() + days * DAY).toISOString();

describe('a shortened remembered-device period', () => {
  it('revokes a device already older than the new period, and lengthening the period again never brings it back', async () => {
    const c = await customer();
    const browser = await rememberedBrowser(c);
    t.clock.advance(10 * DAY);
    expect(await skipsSecondStep(browser, c.email)).toBe(true);
    await settings({ rememberDeviceDays: 7 });
    expect(await liveRows(c.id)).toEqual([]);
    expect(await listedDevices(c)).toEqual([]);
    expect(await lastSettingsAudit()).toMatchObject({ rememberDeviceDays: { from: 30, to: 7 }, rememberedDevicesRevoked: 1, rememberedDevicesShortened: 0 });
    expect(await skipsSecondStep(browser, c.email)).toBe(false);

    await settings({ rememberDeviceDays: 30 });
    expect(await skipsSecondStep(browser, c.email)).toBe(false);
    expect(await liveRows(c.id)).toEqual([]);
    expect(await listedDevices(c)).toEqual([]);
    // Lengthening touches no device, so its entry reports none.
    expect(await lastSettingsAudit()).toEqual({ rememberDeviceDays: { from: 7, to: 30 } });
  });

  it('ends a younger device the new period after it was remembered: listed with that expiry, honoured until then, and not beyond when the period grows back', async () => {
    const c = await customer();
    const browser = await rememberedBrowser(c);
    t.clock.advance(2 * DAY);
    await settings({ rememberDeviceDays: 7 });
    expect(await lastSettingsAudit()).toMatchObject({ rememberedDevicesRevoked: 0, rememberedDevicesShortened: 1 });
    const [row] = await liveRows(c.id);
    expect(row.expires_at).toBe(plus(row.created_at, 7));
    expect(await skipsSecondStep(browser, c.email)).toBe(true);
    expect((await listedDevices(c)).map((d) => [d.id, d.expiresAt])).toEqual([[row.id, plus(row.created_at, 7)]]);

    // Lengthening the period never extends a device.
    await settings({ rememberDeviceDays: 30 });
    expect((await liveRows(c.id)).map((d) => d.expires_at)).toEqual([plus(row.created_at, 7)]);
    expect((await listedDevices(c)).map((d) => d.expiresAt)).toEqual([plus(row.created_at, 7)]);

    // (The helpers' sign-ins move the clock on a TOTP step each; go by the device's own date.)
    t.clock.advance(new Date(plus(row.created_at, 7)).getTime() - 60_000 - t.clock.now().getTime());
    expect(await skipsSecondStep(browser, c.email)).toBe(true);
    t.clock.advance(60_000);
    // Day 7: over, though the period is 30 days again.
    expect(await skipsSecondStep(browser, c.email)).toBe(false);
    expect(await listedDevices(c)).toEqual([]);
  });

  it('to 0 days revokes every device, and none counts again when the period is back', async () => {
    const a = await customer();
    const b = await customer();
    const browsers = [await rememberedBrowser(a), await rememberedBrowser(a), await rememberedBrowser(b)];
    await settings({ rememberDeviceDays: 0 });
    expect(await lastSettingsAudit()).toMatchObject({ rememberDeviceDays: { from: 30, to: 0 }, rememberedDevicesRevoked: 3, rememberedDevicesShortened: 0 });
    expect([...(await liveRows(a.id)), ...(await liveRows(b.id))]).toEqual([]);
    await settings({ rememberDeviceDays: 30 });
    expect(await skipsSecondStep(browsers[0], a.email)).toBe(false);
    expect(await skipsSecondStep(browsers[1], a.email)).toBe(false);
    expect(await skipsSecondStep(browsers[2], b.email)).toBe(false);
    expect(await listedDevices(a)).toEqual([]);
  });

  it('leaves devices alone under policy "off", which only sets them aside until the policy is back on', async () => {
    const c = await customer();
    const browser = await rememberedBrowser(c);
    const before = await liveRows(c.id);
    await settings({ policy: 'off' });
    expect(await lastSettingsAudit()).toEqual({ policy: { from: 'optional', to: 'off' } });
    expect(await liveRows(c.id)).toEqual(before);
    await settings({ policy: 'optional' });
    expect(await skipsSecondStep(browser, c.email)).toBe(true);
  });
});
