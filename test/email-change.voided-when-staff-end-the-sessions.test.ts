import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createStaff, createTestApp, PASSWORD, signInStaff, signUpContact, type TestApp } from './helpers/app.js';
import { MailSink } from './helpers/mail-sink.js';
import type { Client } from './helpers/client.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { BulkRunner } from '../src/recovery/bulk.js';

// An email change is confirmed by its emailed token alone. When a customer calls support about
// a stolen session, staff end it: signing the customer out everywhere, resetting their MFA or
// removing a factor (with sign-out), requiring a new setup, or a bulk reset in an incident. Each
// must also void the email change that session asked for, as the customer's own sign-out
// everywhere does (email-change.voided-by-password-reset.test.ts): otherwise the thief confirms
// the move to their address after support "fixed" the account, and resets the password there.
// Deactivating a staff member does the same for their staff account.

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

const fresh = (p: string) => `${p}-${randomBytes(4).toString('hex')}@example.com`;

async function pendingChange(stolen: Client, victim: string, me = '/api/v1/me'): Promise<string> {
  const evil = fresh('evil');
  const r = await stolen.post(`${me}/email`, { email: evil, password: PASSWORD });
  expect(r.statusCode, r.body).toBe(202);
  await t.mail.waitFor(victim, 'Your email address is being changed');
  return MailSink.token(await t.mail.waitFor(evil, 'Confirm your new email address'), '/confirm-email');
}

async function expectVoided(token: string, confirmPath = '/api/v1/auth/email-change/confirm') {
  const confirm = await t.client().post(confirmPath, { token });
  expect(confirm.statusCode, confirm.body).toBe(400);
  expect(String(confirm.headers['content-type'])).toContain('application/problem+json');
  expect(confirm.json().code).toBe('invalid_token');
}

const reason = { reason: 'caller reports a stolen session' };

describe('staff ending a customer’s sessions void the email change a stolen session asked for', () => {
  for (const [name, act] of [
    ['sign out everywhere', (id: string) => sup.client.post(`/api/v1/contacts/${id}/sessions/revoke`, reason)],
    ['reset MFA', (id: string) => sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, reason)],
    ['require MFA setup at next sign-in', (id: string) => sup.client.post(`/api/v1/contacts/${id}/mfa/require-enrollment`, reason)],
  ] as const) {
    it(name, async () => {
      const victim = await signUpContact(t);
      const token = await pendingChange(victim.client, victim.email);
      await enrollTOTP(t, victim.client);
      await sup.stepUp();
      const r = await act(victim.id);
      expect(r.statusCode, r.body).toBe(200);
      await expectVoided(token);
    });
  }

  it('a bulk reset', async () => {
    const victim = await signUpContact(t);
    const token = await pendingChange(victim.client, victim.email);
    await enrollTOTP(t, victim.client);
    await admin.stepUp();
    const job = await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { emails: [victim.email] }, ...reason });
    expect(job.statusCode, job.body).toBe(202);
    await new BulkRunner(t.ctx).runOnce();
    expect((await admin.client.get(`/api/v1/mfa/bulk-resets/${job.json().id}`)).json()).toMatchObject({ status: 'completed', done: 1 });
    await expectVoided(token);
  });

  it('but another customer’s pending change still confirms', async () => {
    const other = await signUpContact(t);
    const token = await pendingChange(other.client, other.email);
    const victim = await signUpContact(t);
    await sup.stepUp();
    expect((await sup.client.post(`/api/v1/contacts/${victim.id}/sessions/revoke`, reason)).statusCode).toBe(200);
    expect((await t.client().post('/api/v1/auth/email-change/confirm', { token })).statusCode).toBe(200);
  });
});

describe('deactivating a staff member', () => {
  it('voids the email change their sessions asked for', async () => {
    const staff = await createStaff(t, 'agent');
    const stolen = await signInStaff(t, staff.email);
    const token = await pendingChange(stolen, staff.email, '/api/v1/staff-me');
    await admin.stepUp();
    const r = await admin.client.patch(`/api/v1/staff/${staff.id}`, { active: false });
    expect(r.statusCode, r.body).toBe(200);
    await expectVoided(token, '/api/v1/staff-auth/email-change/confirm');
  });
});
