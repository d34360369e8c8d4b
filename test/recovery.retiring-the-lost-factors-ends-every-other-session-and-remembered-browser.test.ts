import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, type TestApp } from './helpers/app.js';
import { codeFor, nextStep, secretFromBase32, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { loginState, rememberedBrowser, signedOutCustomer } from './helpers/remembered-devices.js';
import type { Client } from './helpers/client.js';

// PRODUCT.md §4.3, §4.4. A temporary access code, or a required new setup, ends with the new
// factor replacing the old ones: those were lost, or taken. (Requiring a new setup signs out
// everywhere and forgets remembered browsers when it is required; a temporary code does not.) Whatever they let in must go with
// them. A real-time phisher who got the password, a session and a remembered browser would
// otherwise keep the session after the owner recovered, and with the remembered browser and
// the password sign in past the owner's NEW factor without its second step.

let t: TestApp;
let sup: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  sup = await staffWithMFA(t, 'supervisor');
  await sup.client.post('/api/v1/auth/logout').catch(() => undefined);
});
afterAll(async () => {
  await t.close();
});

/** A phisher's foothold: a signed-in session and a remembered browser, both passed with the owner's code. */
async function phisherFoothold(c: { email: string; secret: Buffer }): Promise<{ session: Client; remembered: Client }> {
  const { browser: remembered } = await rememberedBrowser(t, c);
  nextStep(t);
  const session = t.client();
  await session.post('/api/v1/auth/login', { email: c.email, password: PASSWORD });
  expect((await session.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, c.secret) })).json().state).toBe('authenticated');
  return { session, remembered };
}

/** The owner, in the enrollment-only session the flow opened, sets up a new authenticator app. */
async function ownerSetsUpANewApp(owner: Client): Promise<void> {
  const start = await owner.post('/api/v1/me/mfa/totp');
  expect(start.statusCode, start.body).toBe(201);
  const done = await owner.post(`/api/v1/me/mfa/totp/${start.json().factorId}/confirm`, { code: codeFor(t, secretFromBase32(start.json().secret)) });
  expect(done.json().state, done.body).toBe('authenticated');
}

async function expectEvicted(phisher: { session: Client; remembered: Client }, email: string, owner: Client): Promise<void> {
  expect((await phisher.session.get('/api/v1/me/mfa')).statusCode).toBe(401);
  expect(await loginState(phisher.remembered, email)).toBe('mfa_required');
  // The owner's own session stays.
  expect((await owner.get('/api/v1/me/mfa')).statusCode).toBe(200);
}

describe('retiring the lost factors', () => {
  it('after a temporary code: every other session ends and every remembered browser is forgotten, and the owner is told', async () => {
    const c = await signedOutCustomer(t);
    const phisher = await phisherFoothold(c);
    await sup.stepUp();
    const issued = await sup.client.post(`/api/v1/contacts/${c.id}/mfa/temporary-codes`, { reason: 'phone stolen, verified by callback', verification: { method: 'callback' } });
    expect(issued.statusCode, issued.body).toBe(201);
    // The phisher's session still works until the owner has recovered (the code changes nothing by itself).
    expect((await phisher.session.get('/api/v1/me/mfa')).statusCode).toBe(200);

    const owner = t.client();
    await owner.post('/api/v1/auth/login', { email: c.email, password: PASSWORD });
    expect((await owner.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code: issued.json().code })).json().state).toBe('enrollment_required');
    await ownerSetsUpANewApp(owner);

    await expectEvicted(phisher, c.email, owner);
    expect(await t.ctx.db.selectFrom('remembered_devices').select('id').where('owner_id', '=', c.id).where('expires_at', '>', t.clock.now().toISOString()).execute()).toEqual([]);
    // The second such email (the first told of the app the owner lost).
    const added = () => t.mail.to(c.email).filter((m) => m.subject === 'A sign-in method was added to your account');
    for (let i = 0; i < 100 && added().length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    const mail = added()[1]!;
    expect(mail.text).toContain('Every other sign-in to your account was ended and every remembered browser forgotten');
    const entry = await t.ctx.db.selectFrom('audit_events').select('details').where('contact_id', '=', c.id).where('action', '=', 'mfa.factor.enrolled').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect(JSON.parse(entry.details!)).toMatchObject({ retiredFactors: 1, otherSessionsEnded: 1, rememberedDevicesForgotten: 1 });
  });

  it('an ordinary added factor ends nothing', async () => {
    const c = await signedOutCustomer(t);
    const other = await phisherFoothold(c);
    nextStep(t);
    const owner = t.client();
    await owner.post('/api/v1/auth/login', { email: c.email, password: PASSWORD });
    await owner.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, c.secret) });
    const start = await owner.post('/api/v1/me/mfa/totp');
    const done = await owner.post(`/api/v1/me/mfa/totp/${start.json().factorId}/confirm`, { code: codeFor(t, secretFromBase32(start.json().secret)) });
    expect(done.statusCode, done.body).toBe(200);
    expect((await other.session.get('/api/v1/me/mfa')).statusCode).toBe(200);
    expect(await loginState(other.remembered, c.email)).toBe('authenticated');
  });
});
