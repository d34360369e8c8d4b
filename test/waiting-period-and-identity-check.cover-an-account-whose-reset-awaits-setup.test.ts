import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { BulkRunner } from '../src/recovery/bulk.js';

// PRODUCT.md §4.1, §4.6, §4.10. After a reset with setup required, the account has no factor
// but is still protected: only the emailed setup link, or a temporary code, sets it up again.
// The waiting period and the required identity check apply to "a contact who has factors"; if
// such an account counted as having none, then right after a reset (a bulk reset of an
// incident, when attackers hold the leaked passwords, included) a caller with the password
// could phone the help desk ("the link doesn't work") and be given, at once and with no check,
// a temporary code or a second reset without setup, and enroll their own factor before the
// owner had read the reset email.

let t: TestApp;
let admin: StaffWithMFA;
let sup: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  admin = await staffWithMFA(t, 'admin');
  sup = await staffWithMFA(t, 'supervisor');
});
afterAll(async () => {
  await t.close();
});

async function settings(values: { waitingPeriodHours?: number; requireEmailVerification?: boolean }): Promise<void> {
  await admin.stepUp();
  const r = await admin.client.put('/api/v1/settings/mfa', { ...values, reason: 'help-desk defences' });
  expect(r.statusCode, r.body).toBe(200);
}

/** An enrolled contact reset by a bulk job (exempt from both safeguards): setup required, no factor. */
async function resetByAnIncident(): Promise<{ id: string; email: string }> {
  const { client, email, id } = await signUpContact(t);
  await enrollTOTP(t, client);
  await admin.stepUp();
  const job = await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { emails: [email] }, reason: 'credential-stuffing incident' });
  expect(job.statusCode, job.body).toBe(202);
  await new BulkRunner(t.ctx).runOnce();
  const mfa = (await sup.client.get(`/api/v1/contacts/${id}/mfa`)).json();
  expect(mfa).toMatchObject({ enrolled: false, enrollmentRequired: true, setupLinkRequired: true });
  return { id, email };
}

/** What the password alone opens now. */
async function passwordAlone(email: string): Promise<string> {
  return (await t.client().post('/api/v1/auth/login', { email, password: PASSWORD })).json().state;
}

describe('an account whose reset awaits its setup', () => {
  it('needs the required identity check for a temporary code and for another reset', async () => {
    await settings({ waitingPeriodHours: 0, requireEmailVerification: true });
    const { id, email } = await resetByAnIncident();
    await sup.stepUp();
    for (const [path, body] of [
      ['mfa/temporary-codes', { reason: 'caller says the setup link does not work', verification: { method: 'none' } }],
      ['mfa/reset', { reason: 'caller wants MFA off', requireEnrollment: false, verification: { method: 'callback' } }],
    ] as const) {
      const r = await sup.client.post(`/api/v1/contacts/${id}/${path}`, body);
      expect(r.statusCode, r.body).toBe(403);
      expect(r.json().code).toBe('verification_required');
    }
    expect(await t.ctx.db.selectFrom('temporary_codes').select('id').where('owner_id', '=', id).execute()).toEqual([]);
    expect(await passwordAlone(email)).toBe('mfa_required');
  });

  it('is under the waiting period: a temporary code and a reset without setup are scheduled, and the owner is told', async () => {
    await settings({ waitingPeriodHours: 24, requireEmailVerification: false });
    const { id, email } = await resetByAnIncident();
    await sup.stepUp();
    const code = await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'caller says the setup link does not work', verification: { method: 'callback' } });
    expect(code.statusCode, code.body).toBe(202);
    expect(code.json()).toMatchObject({ pendingActionId: expect.any(String), effectiveAt: expect.any(String) });
    // Not usable before the period ends.
    const caller = t.client();
    expect((await caller.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
    const early = await caller.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code: code.json().code });
    expect(early.statusCode, early.body).toBe(400);
    expect(early.json().code).toBe('invalid_code');

    const reset = await sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'caller wants MFA off', requireEnrollment: false, verification: { method: 'callback' } });
    expect(reset.statusCode, reset.body).toBe(202);
    expect(await passwordAlone(email)).toBe('mfa_required');
    const mails = await t.mail.waitFor(email, 'Our support team will change your two-step verification');
    expect(mails.text).toContain('/pending-actions/cancel');
  });

  it('an account that never had MFA has nothing to protect: a reset applies at once', async () => {
    await settings({ waitingPeriodHours: 24, requireEmailVerification: true });
    const { id } = await signUpContact(t);
    await sup.stepUp();
    const r = await sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'customer asked', requireEnrollment: true, verification: { method: 'callback' } });
    expect(r.statusCode, r.body).toBe(200);
  });
});
