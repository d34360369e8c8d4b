import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import type { ReceivedEmail } from './helpers/mail-sink.js';

// PRODUCT.md §4: every toolkit action emails the customer, with when, who, from where and what
// to do if they did not ask. Staff taking something back (a required setup, a scheduled change)
// is such an action: the customer was emailed when it was asked for, and is told it is off.

let t: TestApp;
let sup: StaffWithMFA;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  sup = await staffWithMFA(t, 'supervisor');
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

function expectSecurityNotice(mail: ReceivedEmail) {
  expect(mail.text).toMatch(/When: \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  expect(mail.text).toContain('By: our support team');
  expect(mail.text).toContain('From: 127.0.0.1, Chrome on Linux');
  expect(mail.text).toContain('If you did not ask our support team for this');
  expect(mail.html).toContain('By: our support team');
  expect(mail.html).toContain('If you did not ask our support team for this');
}

describe('staff cancelling something email the customer', () => {
  it('cancelling a required setup', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    await sup.stepUp();
    expect((await sup.client.post(`/api/v1/contacts/${id}/mfa/require-enrollment`, { reason: 'lost phone' })).statusCode).toBe(200);
    await t.mail.waitFor(email, 'Set up two-step verification again');
    await sup.stepUp();
    const r = await sup.client.delete(`/api/v1/contacts/${id}/mfa/require-enrollment`, { reason: 'asked by mistake' });
    expect(r.statusCode, r.body).toBe(200);
    const mail = await t.mail.waitFor(email, 'You no longer need to set up two-step verification again');
    expect(mail.text).toContain('cancelled its request that you set up two-step verification again');
    expectSecurityNotice(mail);
    // Nothing to cancel: 404, and no email.
    const before = t.mail.to(email).length;
    await sup.stepUp();
    const none = await sup.client.delete(`/api/v1/contacts/${id}/mfa/require-enrollment`, { reason: 'again' });
    expect(none.statusCode).toBe(404);
    await new Promise((r) => setTimeout(r, 300));
    expect(t.mail.to(email)).toHaveLength(before);
  });

  it('cancelling a scheduled change from the console', async () => {
    await admin.stepUp();
    expect((await admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'test' })).statusCode).toBe(200);
    try {
      for (const [path, kind] of [
        ['mfa/reset', 'reset the two-step verification of your account'],
        ['mfa/temporary-codes', 'activate a temporary access code'],
      ] as const) {
        const { client, email, id } = await signUpContact(t);
        await enrollTOTP(t, client);
        await sup.stepUp();
        const r = await sup.client.post(`/api/v1/contacts/${id}/${path}`, { reason: 'caller' });
        expect(r.statusCode, r.body).toBe(202);
        await t.mail.waitFor(email, 'Our support team will change your two-step verification');
        await sup.stepUp();
        const c = await sup.client.post(`/api/v1/pending-actions/${r.json().pendingActionId}/cancel`, { reason: 'could not confirm the caller' });
        expect(c.statusCode, c.body).toBe(200);
        const mail = await t.mail.waitFor(email, 'A scheduled change to your two-step verification was cancelled');
        expect(mail.text).toContain(`will not ${kind}`);
        expect(mail.text).toContain('Nothing changes on your account');
        expectSecurityNotice(mail);
        // A refused cancel (already cancelled) sends nothing more.
        const count = t.mail.to(email).length;
        expect((await sup.client.post(`/api/v1/pending-actions/${r.json().pendingActionId}/cancel`, { reason: 'again' })).statusCode).toBe(409);
        await new Promise((res) => setTimeout(res, 300));
        expect(t.mail.to(email)).toHaveLength(count);
      }
    } finally {
      await admin.stepUp();
      expect((await admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 0, reason: 'test over' })).statusCode).toBe(200);
    }
  });
});
