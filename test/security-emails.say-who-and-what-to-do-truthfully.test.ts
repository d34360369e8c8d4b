import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, nextStep, staffWithMFA } from './helpers/mfa.js';
import { BulkRunner } from '../src/recovery/bulk.js';

// A security email says who did it, from where, and what to do if it was not the reader. Two
// said it wrong:
// - the lockout after wrong codes said "By: you", though the codes were typed by whoever was
//   signing in (or stepping up), perhaps with a stolen password;
// - a bulk reset (an incident: nobody asked) told every customer "if you did not ask our
//   support team for this, contact support", sending thousands to the help desk on the day
//   impostors call customers "from support", and showed "From: an unknown address".

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
});
afterAll(async () => {
  await t.close();
});

describe('security emails say who did it and what to do, truthfully', () => {
  it('the lockout email names whoever typed the codes, not the reader, and tells them to change the password', async () => {
    const { client, email } = await signUpContact(t);
    await enrollTOTP(t, client);
    nextStep(t);
    for (let i = 0; i < 2; i++) {
      const c = t.client();
      expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
      for (let j = 0; j < 5; j++) await c.post('/api/v1/auth/mfa/verify', { method: 'totp', code: '000000' });
    }
    const mail = await t.mail.waitFor(email, 'Two-step verification locked after wrong codes', 15_000);
    for (const body of [mail.text, mail.html]) {
      expect(body).not.toContain('By: you');
      expect(body).toContain('By: whoever entered the codes for your account');
      expect(body).toContain('If this was not you, change your password now and contact support');
      expect(body).not.toContain('If you did not ask our support team');
    }
  });

  it('a bulk reset’s email asks nobody to call, warns of impostors, and shows no made-up "From"', async () => {
    const { client, email } = await signUpContact(t);
    await enrollTOTP(t, client);
    const admin = await staffWithMFA(t, 'admin');
    await admin.stepUp();
    const job = await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { emails: [email] }, reason: 'authenticator vendor breach' });
    expect(job.statusCode, job.body).toBe(202);
    await new BulkRunner(t.ctx).runOnce();
    const mail = await t.mail.waitFor(email, 'Your two-step verification was reset', 15_000);
    for (const body of [mail.text, mail.html]) {
      expect(body).toContain('every affected account');
      expect(body).toContain('You do not need to contact us about this email');
      expect(body).toContain('will never ask you for a code or your password');
      expect(body).not.toContain('If you did not ask our support team');
      expect(body).not.toContain('From:');
      expect(body).not.toContain('an unknown address');
    }
    // The reset a staff member made for one customer still says where it came from.
    const other = await signUpContact(t);
    await enrollTOTP(t, other.client);
    await admin.stepUp();
    const single = await admin.client.post(`/api/v1/contacts/${other.id}/mfa/reset`, { reason: 'caller verified by email code' });
    expect(single.statusCode, single.body).toBe(200);
    const one = await t.mail.waitFor(other.email, 'Your two-step verification was reset', 15_000);
    expect(one.text).toContain('From: ');
    expect(one.text).toContain('If you did not ask our support team for this');
  });
});
