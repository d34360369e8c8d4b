import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, secretFromBase32, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { MailSink } from './helpers/mail-sink.js';
import { runDuePendingActions } from '../src/recovery/pending-actions.js';

// A temporary access code scheduled through the waiting period is handed to the caller at once
// and works from the end of the period, whether or not the runner has marked the action done
// (it may be busy with a bulk job for minutes). An owner who presses "Cancel this change" in
// that gap must not be told "cancelled" while the caller, already signed in with the code,
// goes on to add a factor and take the account. The cancel ends that sign-in before it can
// enroll; once it has enrolled, the cancel says it is too late and changes nothing.

const DAY_AND_A_BIT = 24 * 3600_000 + 1000;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  const admin = await staffWithMFA(t, 'admin');
  await admin.stepUp();
  expect((await admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'social engineering defence' })).statusCode).toBe(200);
});
afterAll(async () => {
  await t.close();
});

/**
 * A customer with an app, a code a supervisor scheduled for them, and the day of waiting gone
 * by (the runner not run). The supervisor signs in again after the day, as a person would.
 */
async function codeNowWorking() {
  const customer = await signUpContact(t);
  const own = await enrollTOTP(t, customer.client);
  const scheduler = await staffWithMFA(t, 'supervisor');
  await scheduler.stepUp();
  const issued = await scheduler.client.post(`/api/v1/contacts/${customer.id}/mfa/temporary-codes`, { reason: 'caller says locked out' });
  expect(issued.statusCode, issued.body).toBe(202);
  const mail = await t.mail.waitFor(customer.email, 'Our support team will change your two-step verification');
  t.clock.advance(DAY_AND_A_BIT);
  const sup: StaffWithMFA = await staffWithMFA(t, 'supervisor');
  return { ...customer, own, scheduler, sup, code: issued.json().code as string, pendingActionId: issued.json().pendingActionId as string, cancelToken: MailSink.token(mail, '/pending-actions/cancel') };
}

/** The caller signs in with the password and the code: an enrollment-only session. */
async function callerSignsInWithTheCode(email: string, code: string) {
  const caller = t.client();
  expect((await caller.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
  const v = await caller.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code });
  expect(v.json().state, v.body).toBe('enrollment_required');
  return caller;
}

/** Starts adding an authenticator app in the caller's session and confirms it. */
async function callerEnrolls(caller: ReturnType<TestApp['client']>) {
  const start = await caller.post('/api/v1/me/mfa/totp');
  if (start.statusCode !== 201) return start;
  nextStep(t);
  return caller.post(`/api/v1/me/mfa/totp/${start.json().factorId}/confirm`, { code: codeFor(t, secretFromBase32(start.json().secret)), name: 'Caller' });
}

async function activeFactorNames(contactID: string): Promise<string[]> {
  const rows = await t.ctx.db.selectFrom('mfa_factors').select('name').where('owner_kind', '=', 'contact').where('owner_id', '=', contactID).where('status', '=', 'active').execute();
  return rows.map((r) => r.name).sort();
}

async function status(pendingActionId: string): Promise<string> {
  return (await t.ctx.db.selectFrom('pending_actions').select('status').where('id', '=', pendingActionId).executeTakeFirstOrThrow()).status;
}

describe('a temporary code cancelled after its waiting period', () => {
  it("ends the sign-in the code already opened when the owner cancels: the caller cannot add a factor", async () => {
    const c = await codeNowWorking();
    const caller = await callerSignsInWithTheCode(c.email, c.code);

    const cancel = await t.client().post('/api/v1/auth/pending-actions/cancel', { token: c.cancelToken });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect(await status(c.pendingActionId)).toBe('cancelled');

    const enroll = await callerEnrolls(caller);
    expect(enroll.statusCode).toBe(401);
    expect(await activeFactorNames(c.id)).toEqual(['Phone']);
    // The runner, coming late, finds nothing to do; the owner still signs in with their app.
    expect(await runDuePendingActions(t.ctx)).toBe(0);
    const owner = t.client();
    await owner.post('/api/v1/auth/login', { email: c.email, password: PASSWORD });
    nextStep(t);
    expect((await owner.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, c.own.secret) })).json().state).toBe('authenticated');

    const entry = await t.ctx.db.selectFrom('audit_events').select('details').where('action', '=', 'mfa.pending_action.cancelled').where('contact_id', '=', c.id).executeTakeFirstOrThrow();
    expect(JSON.parse(entry.details!)).toMatchObject({ pendingActionId: c.pendingActionId, signInEnded: true });
    const told = await t.mail.waitFor(c.scheduler.email, 'A customer cancelled a scheduled MFA change');
    expect(told.text).toContain('that sign-in was ended before it could set up a sign-in method');
  });

  it('ends that sign-in when staff cancel too', async () => {
    const c = await codeNowWorking();
    const caller = await callerSignsInWithTheCode(c.email, c.code);
    await c.sup.stepUp();
    const cancel = await c.sup.client.post(`/api/v1/pending-actions/${c.pendingActionId}/cancel`, { reason: 'the customer called: it was not them' });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect((await callerEnrolls(caller)).statusCode).toBe(401);
    expect(await activeFactorNames(c.id)).toEqual(['Phone']);
  });

  it('ends that sign-in when the supervisor who scheduled the code is deactivated', async () => {
    const scheduler = await staffWithMFA(t, 'supervisor');
    const customer = await signUpContact(t);
    await enrollTOTP(t, customer.client);
    await scheduler.stepUp();
    const issued = await scheduler.client.post(`/api/v1/contacts/${customer.id}/mfa/temporary-codes`, { reason: 'caller says locked out' });
    expect(issued.statusCode, issued.body).toBe(202);
    t.clock.advance(DAY_AND_A_BIT);
    const caller = await callerSignsInWithTheCode(customer.email, issued.json().code);

    const admin = await staffWithMFA(t, 'admin');
    await admin.stepUp();
    expect((await admin.client.patch(`/api/v1/staff/${scheduler.id}`, { active: false })).statusCode).toBe(200);
    expect(await status(issued.json().pendingActionId)).toBe('cancelled');
    expect((await callerEnrolls(caller)).statusCode).toBe(401);
    expect(await activeFactorNames(customer.id)).toEqual(['Phone']);
  });

  it('goes through when the sign-in the code opened ended without setting up a method', async () => {
    const c = await codeNowWorking();
    const caller = await callerSignsInWithTheCode(c.email, c.code);
    expect((await caller.post('/api/v1/auth/logout')).statusCode).toBeLessThan(300);
    const cancel = await t.client().post('/api/v1/auth/pending-actions/cancel', { token: c.cancelToken });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect(await status(c.pendingActionId)).toBe('cancelled');
    expect(await activeFactorNames(c.id)).toEqual(['Phone']);
  });

  it('is refused as too late once the code has set up a factor, and changes nothing', async () => {
    const c = await codeNowWorking();
    const caller = await callerSignsInWithTheCode(c.email, c.code);
    const enroll = await callerEnrolls(caller);
    expect(enroll.statusCode, enroll.body).toBe(200);
    const auditBefore = await t.ctx.db.selectFrom('audit_events').select('id').where('contact_id', '=', c.id).execute();

    const cancel = await t.client().post('/api/v1/auth/pending-actions/cancel', { token: c.cancelToken });
    expect(cancel.statusCode).toBe(409);
    expect(cancel.headers['content-type']).toContain('application/problem+json');
    expect(cancel.json().detail).toMatch(/too late/i);
    expect(await status(c.pendingActionId)).toBe('pending');
    expect(await t.ctx.db.selectFrom('audit_events').select('id').where('contact_id', '=', c.id).execute()).toHaveLength(auditBefore.length);
    // The session the code led to is the caller's, and stays what it was.
    expect((await caller.get('/api/v1/me/mfa')).statusCode).toBe(200);
    // The runner closes the action as done: the code was used.
    expect(await runDuePendingActions(t.ctx)).toBe(1);
    expect(await status(c.pendingActionId)).toBe('done');
  });

  it('racing the enrollment of the sign-in the code opened: one of them wins, never both', async () => {
    for (let round = 0; round < 6; round++) {
      const c = await codeNowWorking();
      const caller = await callerSignsInWithTheCode(c.email, c.code);
      const start = await caller.post('/api/v1/me/mfa/totp');
      expect(start.statusCode).toBe(201);
      nextStep(t);
      const confirmCode = codeFor(t, secretFromBase32(start.json().secret));
      const [enroll, cancel] = await Promise.all([
        caller.post(`/api/v1/me/mfa/totp/${start.json().factorId}/confirm`, { code: confirmCode, name: 'Caller' }),
        t.client().post('/api/v1/auth/pending-actions/cancel', { token: c.cancelToken }),
      ]);
      const names = await activeFactorNames(c.id);
      if (cancel.statusCode === 200) {
        expect(enroll.statusCode, enroll.body).toBe(401);
        expect(names).toEqual(['Phone']);
        expect(await status(c.pendingActionId)).toBe('cancelled');
      } else {
        expect(cancel.statusCode, cancel.body).toBe(409);
        expect(enroll.statusCode, enroll.body).toBe(200);
        expect(names).toEqual(['Caller']);
        expect(await status(c.pendingActionId)).toBe('pending');
      }
    }
  });
});
