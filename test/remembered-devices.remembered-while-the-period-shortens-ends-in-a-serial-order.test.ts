import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import type { Client } from './helpers/client.js';

/**
 * PRODUCT.md §7 ("the result is always one of the serial orders"): second steps that ask to be
 * remembered, racing an admin shortening the remembered-device period from 30 days to 1. One
 * after the other, a device remembered before the change is shortened by it, and one
 * remembered after it gets the new period: either way no live device may end later than one
 * day after it was remembered. Without holding the settings while the device is stored, a
 * second step that read "30 days" before the change committed stored its device after the
 * change had shortened the others: a 30-day device the shorter period never cut (PostgreSQL).
 */

const ROUNDS = 8;
const SIGN_INS = 8;
const DAY = 86_400_000;

let t: TestApp;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

async function setDays(rememberDeviceDays: number) {
  await admin.stepUp();
  const r = await admin.client.put('/api/v1/settings/mfa', { rememberDeviceDays, reason: 'race' });
  expect(r.statusCode, r.body).toBe(200);
}

describe('devices remembered while the period shortens', () => {
  it(`end in a serial order, ${ROUNDS} rounds of ${SIGN_INS} second steps`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await setDays(30);
      const people = await Promise.all(
        Array.from({ length: SIGN_INS }, async () => {
          const { client, email, id } = await signUpContact(t);
          const { secret } = await enrollTOTP(t, client);
          await client.post('/api/v1/auth/logout');
          return { email, id, secret };
        }),
      );
      nextStep(t);
      const pending: Client[] = [];
      for (const p of people) {
        const b = t.client();
        expect((await b.post('/api/v1/auth/login', { email: p.email, password: PASSWORD })).json().state).toBe('mfa_required');
        b.headers['x-csrf-token'] = await b.csrfToken('/api/v1/auth/mfa/verify');
        pending.push(b);
      }
      await admin.stepUp();
      admin.client.headers['x-csrf-token'] = await admin.client.csrfToken('/api/v1/settings/mfa');
      const change = new Promise((resolve) => setTimeout(resolve, round % 4)).then(() => admin.client.put('/api/v1/settings/mfa', { rememberDeviceDays: 1, reason: `race ${round}` }));
      const [changed, ...verified] = await Promise.all([change, ...pending.map((b, i) => b.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, people[i].secret), rememberDevice: true }))]);
      expect(changed.statusCode, changed.body).toBe(200);
      for (const v of verified) expect(v.statusCode, v.body).toBe(200);
      delete admin.client.headers['x-csrf-token'];
      const now = t.clock.now().toISOString();
      const devices = await t.ctx.db
        .selectFrom('remembered_devices')
        .select(['created_at', 'expires_at'])
        .where('owner_kind', '=', 'contact')
        .where('owner_id', 'in', people.map((p) => p.id))
        .where('expires_at', '>', now)
        .execute();
      expect(devices).toHaveLength(SIGN_INS);
      for (const d of devices) expect(new Date(d.expires_at).getTime() - new Date(d.created_at).getTime(), JSON.stringify(d)).toBeLessThanOrEqual(DAY);
    }
  }, 120_000);
});
