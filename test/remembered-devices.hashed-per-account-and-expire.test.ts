import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, createStaff, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, nextStep, secretFromBase32, staffWithMFA } from './helpers/mfa.js';
import { changeMFASettings, loginState, rememberedBrowser as rememberedDevice, signedOutCustomer } from './helpers/remembered-devices.js';

const DAY = 86_400_000;
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const setDays = (rememberDeviceDays: number): Promise<void> => changeMFASettings(t, { rememberDeviceDays });
const customer = (): ReturnType<typeof signedOutCustomer> => signedOutCustomer(t);
const rememberedBrowser = (c: { email: string; secret: Buffer }): ReturnType<typeof rememberedDevice> => rememberedDevice(t, c);

describe('remembered devices', () => {
  it('store only a keyed hash of the token, in an HttpOnly SameSite=Lax cookie that lasts the admin-set days', async () => {
    const c = await customer();
    const { browser, response } = await rememberedBrowser(c);
    const token = browser.cookies.get('portico_device')!;
    const set = (response.cookies as Array<{ name: string; httpOnly?: boolean; sameSite?: string; maxAge?: number; path?: string }>).find((k) => k.name === 'portico_device')!;
    expect(set).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', maxAge: 30 * 86400 });
    const rows = await t.ctx.db.selectFrom('remembered_devices').selectAll().where('owner_id', '=', c.id).execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('expire after the admin-set days, and stop counting at once, for good, when the admin shortens the period', async () => {
    const c = await customer();
    const { browser } = await rememberedBrowser(c);
    t.clock.advance(2 * DAY);
    expect(await loginState(browser, c.email)).toBe('authenticated');
    await setDays(1);
    try {
      expect(await loginState(browser, c.email)).toBe('mfa_required');
    } finally {
      await setDays(30);
    }
    // Shortening the period revoked the 2-day-old device: a longer period again never brings
    // back a device its owner no longer saw on their security page.
    expect(await loginState(browser, c.email)).toBe('mfa_required');
    expect((await t.ctx.db.selectFrom('remembered_devices').select('id').where('owner_id', '=', c.id).where('expires_at', '>', t.clock.now().toISOString()).execute())).toEqual([]);
  });

  it('are revoked one by one', async () => {
    const c = await customer();
    const first = (await rememberedBrowser(c)).browser;
    const second = (await rememberedBrowser(c)).browser;
    expect((await first.post('/api/v1/auth/login', { email: c.email, password: PASSWORD })).json().state).toBe('authenticated');
    const devices = (await first.get('/api/v1/me/mfa')).json().rememberedDevices;
    expect(devices).toHaveLength(2);
    // The first device's own id: the newest is the second browser's.
    const [secondID, firstID] = devices.map((d: { id: string }) => d.id);
    expect((await first.delete(`/api/v1/me/mfa/remembered-devices/${firstID}`)).statusCode).toBe(204);
    expect((await first.delete(`/api/v1/me/mfa/remembered-devices/${firstID}`)).statusCode).toBe(404);
    await first.post('/api/v1/auth/logout');
    expect(await loginState(first, c.email)).toBe('mfa_required');
    expect(await loginState(second, c.email)).toBe('authenticated');
    // Another customer cannot revoke it.
    const other = await signUpContact(t);
    expect((await other.client.delete(`/api/v1/me/mfa/remembered-devices/${secondID}`)).statusCode).toBe(404);
    expect(await loginState(second, c.email)).toBe('authenticated');
  });

  it("of one account never skip another account's second step, nor a staff member's", async () => {
    const alice = await customer();
    const bob = await customer();
    const { browser } = await rememberedBrowser(alice);
    expect(await loginState(browser, bob.email)).toBe('mfa_required');
    // Staff sign in on the same browser: the device cookie is sent, and means nothing there.
    const sup = await staffWithMFA(t, 'supervisor');
    await sup.client.post('/api/v1/staff-auth/logout');
    const staffBrowser = t.client();
    staffBrowser.cookies.set('portico_device', browser.cookies.get('portico_device')!);
    expect((await staffBrowser.post('/api/v1/staff-auth/login', { email: sup.email, password: PASSWORD })).json().state).toBe('mfa_required');
  });

  it('are never given to staff, who always pass the second step', async () => {
    const agent = await createStaff(t, 'agent');
    const b = t.client();
    await b.post('/api/v1/staff-auth/login', { email: agent.email, password: PASSWORD });
    const start = await b.post('/api/v1/staff-me/mfa/totp');
    const secret = secretFromBase32(start.json().secret);
    expect((await b.post(`/api/v1/staff-me/mfa/totp/${start.json().factorId}/confirm`, { code: codeFor(t, secret) })).statusCode).toBe(200);
    await b.post('/api/v1/staff-auth/logout');
    nextStep(t);
    await b.post('/api/v1/staff-auth/login', { email: agent.email, password: PASSWORD });
    const r = await b.post('/api/v1/staff-auth/mfa/verify', { method: 'totp', code: codeFor(t, secret), rememberDevice: true });
    expect(r.statusCode, r.body).toBe(200);
    expect(b.cookies.get('portico_device')).toBeUndefined();
    await b.post('/api/v1/staff-auth/logout');
    expect((await b.post('/api/v1/staff-auth/login', { email: agent.email, password: PASSWORD })).json().state).toBe('mfa_required');
  });

  it('never satisfy a re-enrollment staff required', async () => {
    const c = await customer();
    const { browser } = await rememberedBrowser(c);
    const sup = await staffWithMFA(t, 'supervisor');
    await sup.stepUp();
    const r = await sup.client.post(`/api/v1/contacts/${c.id}/mfa/require-enrollment`, { reason: 'lost phone' });
    expect(r.statusCode, r.body).toBeLessThan(300);
    expect(await loginState(browser, c.email)).toBe('mfa_required');
  });
});
