import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { seedEnrolledContacts } from './helpers/seed.js';

let t: TestApp;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

describe('MFA overview', () => {
  it('counts enrollment by method, single-factor customers, locks and resets by staff member', async () => {
    await seedEnrolledContacts(t.ctx, 3);
    await seedEnrolledContacts(t.ctx, 2, { type: 'webauthn' });
    const { client, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    await signUpContact(t); // not enrolled
    const sup = await staffWithMFA(t, 'supervisor');
    await sup.stepUp();
    await sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'lost phone' });
    const o = (await admin.client.get('/api/v1/mfa/overview')).json();
    expect(o).toMatchObject({ contacts: 7, enrolled: 5, singleFactor: 5, byMethod: { totp: 3, webauthn: 2 }, locked: 0, enrollmentRequired: 1 });
    expect(o.resetsLast30Days.byStaff).toEqual([{ staffId: sup.id, name: 'Supervisor Person', actions: 1 }]);
    expect(o.resetsLast30Days.daily).toHaveLength(30);
    expect(o.resetsLast30Days.daily.at(-1).resets).toBe(1);
    expect((await sup.client.get('/api/v1/mfa/overview')).statusCode).toBe(403);
  });
});

describe('email outbox', () => {
  it('shows failing deliveries with their error, and delivers them once SMTP accepts again', async () => {
    t.mail.refuse = true;
    const { email } = await (async () => {
      const c = t.client();
      const e = `refused-${Date.now()}@example.com`;
      await c.post('/api/v1/auth/signup', { email: e, password: 'correct horse battery', name: 'R' });
      return { email: e };
    })();
    let failing: Array<{ id: string; to: string; lastError: string }> = [];
    for (let i = 0; i < 100 && !failing.some((f) => f.to === email); i++) {
      await new Promise((r) => setTimeout(r, 50));
      failing = (await admin.client.get('/api/v1/outbox?status=failing')).json().items;
    }
    const item = failing.find((f) => f.to === email)!;
    expect(item.lastError).toMatch(/451|mailbox unavailable/);
    t.mail.refuse = false;
    expect((await admin.client.post(`/api/v1/outbox/${item.id}/retry`)).statusCode).toBe(200);
    await t.mail.waitFor(email, 'Confirm your email address');
    // The sink has it; the outbox records the delivery right after.
    let stillFailing = true;
    for (let i = 0; i < 100 && stillFailing; i++) {
      stillFailing = (await admin.client.get('/api/v1/outbox?status=failing')).json().items.some((f: { to: string }) => f.to === email);
      if (stillFailing) await new Promise((r) => setTimeout(r, 20));
    }
    expect(stillFailing).toBe(false);
  });
});
