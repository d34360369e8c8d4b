import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { MailSink } from './helpers/mail-sink.js';
import type { Client } from './helpers/client.js';

// "It was not me" on a locked-out recovery request (PRODUCT.md §4.9) must take back what support
// already handed out for it: someone who knows the password asked, so a temporary access code
// issued for the account, and an enrollment-only session such a code already opened, must stop
// working.

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

/** An enrolled customer, a caller who knows the password with a recovery request open, and the owner's cancel token. */
async function openedByCaller(): Promise<{ owner: Client; email: string; id: string; caller: Client; cancelToken: string; ticketId: string }> {
  const { client: owner, email, id } = await signUpContact(t);
  await enrollTOTP(t, owner);
  const caller = t.client();
  expect((await caller.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
  const r = await caller.post('/api/v1/auth/mfa/recovery-requests', { message: 'I lost my phone' });
  expect(r.statusCode, r.body).toBe(201);
  const cancelToken = MailSink.token(await t.mail.waitFor(email, 'A request to recover your account was opened'), '/recovery-requests/cancel');
  return { owner, email, id, caller, cancelToken, ticketId: r.json().ticketId };
}

async function cancelAudit(id: string) {
  const items = (await admin.client.get(`/api/v1/audit-events?contactId=${id}&action=mfa.recovery_request.cancelled`)).json().items;
  expect(items).toHaveLength(1);
  return items[0];
}

describe("the owner's cancel of a recovery request voids what support issued for it", () => {
  it('with no waiting period: a temporary code already issued no longer signs in', async () => {
    const { owner, email, id, caller, cancelToken, ticketId } = await openedByCaller();
    await sup.stepUp();
    const issued = await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'recovery ticket', verification: { method: 'other', note: 'knew the ticket history' } });
    expect(issued.statusCode, issued.body).toBe(201);
    const { code } = issued.json();

    const cancel = await t.client().post('/api/v1/auth/recovery-requests/cancel', { token: cancelToken });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect(cancel.json()).toEqual({ cancelled: true, ticketId });

    // The caller's sign-in waiting for its second step cannot finish with the code.
    const onOld = await caller.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code });
    expect(onOld.statusCode).toBe(400);
    expect(onOld.json().code).toBe('invalid_code');
    // A fresh sign-in with the password cannot use the code either.
    const again = t.client();
    expect((await again.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
    const used = await again.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code });
    expect(used.statusCode).toBe(400);
    expect(used.json().code).toBe('invalid_code');
    expect((await sup.client.get(`/api/v1/contacts/${id}/mfa`)).json().temporaryCode).toBeNull();

    // The owner's own signed-in session is theirs (it passed the second step) and stays.
    expect((await owner.get('/api/v1/auth/session')).json().state).toBe('authenticated');

    // The audit entry says what the cancel took back.
    const ev = await cancelAudit(id);
    expect(ev).toMatchObject({ actor: { type: 'contact', id }, details: { ticketId, pendingActionsCancelled: 0, temporaryCodesVoided: 1, enrollmentSessionsEnded: 0 } });
  });

  it('a code already used by the caller: the enrollment-only session it opened ends, so no factor can be added with it', async () => {
    const { id, caller, cancelToken } = await openedByCaller();
    await sup.stepUp();
    const { code } = (await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'recovery ticket' })).json();
    const v = await caller.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code });
    expect(v.statusCode, v.body).toBe(200);
    expect(v.json().state).toBe('enrollment_required');

    expect((await t.client().post('/api/v1/auth/recovery-requests/cancel', { token: cancelToken })).statusCode).toBe(200);
    const enroll = await caller.post('/api/v1/me/mfa/totp');
    expect(enroll.statusCode).toBe(401);
    expect((await caller.get('/api/v1/auth/session')).json().state).toBe('anonymous');
    const ev = await cancelAudit(id);
    expect(ev.details).toMatchObject({ temporaryCodesVoided: 0, enrollmentSessionsEnded: 1 });
  });

  it('with a waiting period: the scheduled code is cancelled and voided as before, and the audit says so', async () => {
    await admin.stepUp();
    expect((await admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'test' })).statusCode).toBe(200);
    try {
      const { email, id, cancelToken } = await openedByCaller();
      await sup.stepUp();
      const issued = await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'recovery ticket' });
      expect(issued.statusCode, issued.body).toBe(202);
      expect((await t.client().post('/api/v1/auth/recovery-requests/cancel', { token: cancelToken })).statusCode).toBe(200);
      const pa = (await sup.client.get(`/api/v1/pending-actions?contactId=${id}`)).json().items[0];
      expect(pa).toMatchObject({ id: issued.json().pendingActionId, status: 'cancelled', cancelledBy: 'contact' });
      const ev = await cancelAudit(id);
      expect(ev.details).toMatchObject({ pendingActionsCancelled: 1, pendingActionIds: [issued.json().pendingActionId], temporaryCodesVoided: 1 });
      t.clock.advance(25 * 3600_000);
      const later = t.client();
      await later.post('/api/v1/auth/login', { email, password: PASSWORD });
      expect((await later.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code: issued.json().code })).json().code).toBe('invalid_code');
    } finally {
      sup = await staffWithMFA(t, 'supervisor');
      admin = await staffWithMFA(t, 'admin');
      await admin.stepUp();
      expect((await admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 0, reason: 'test over' })).statusCode).toBe(200);
    }
  });

  it('a bad or reused token changes nothing', async () => {
    const { id, cancelToken } = await openedByCaller();
    await sup.stepUp();
    const { code } = (await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'recovery ticket' })).json();
    for (const token of ['x'.repeat(40), `${cancelToken}x`, '']) {
      const r = await t.client().post('/api/v1/auth/recovery-requests/cancel', { token });
      expect(r.statusCode).toBe(400);
      expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    expect((await sup.client.get(`/api/v1/contacts/${id}/mfa`)).json().temporaryCode).not.toBeNull();
    // The right token, twice at once: one cancel, one invalid_token.
    const both = await Promise.all([0, 1].map(() => t.client().post('/api/v1/auth/recovery-requests/cancel', { token: cancelToken })));
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 400]);
    expect(code).toBeTruthy();
    expect((await sup.client.get(`/api/v1/contacts/${id}/mfa`)).json().temporaryCode).toBeNull();
    expect((await cancelAudit(id)).details.temporaryCodesVoided).toBe(1);
  });

  it('emails the staff member who issued the code that the owner said it was not them', async () => {
    const { email, id, cancelToken } = await openedByCaller();
    const issuer = await staffWithMFA(t, 'supervisor');
    await issuer.stepUp();
    expect((await issuer.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'recovery ticket' })).statusCode).toBe(201);
    expect((await t.client().post('/api/v1/auth/recovery-requests/cancel', { token: cancelToken })).statusCode).toBe(200);
    const mail = await t.mail.waitFor(issuer.email, 'A customer said an MFA recovery request was not theirs');
    expect(mail.text).toContain(email);
    expect(mail.text).toContain('1 temporary access code voided');
  });
});

