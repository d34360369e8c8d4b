import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { runDuePendingActions } from '../src/recovery/pending-actions.js';

// A temporary code scheduled through the waiting period can be voided before it falls due (the
// customer enrolls a method, a reset, a newer code: PRODUCT.md §4.4). When its time comes the
// customer must not be told that a code "is now active" when none is, and the pending action
// must not say it was done: it ends cancelled by the system, with an audit entry saying why.

const ACTIVE = 'A temporary access code for your account is now active';
let t: TestApp;
let sup: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  sup = await staffWithMFA(t, 'supervisor');
  const admin = await staffWithMFA(t, 'admin');
  await admin.stepUp();
  expect((await admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'social engineering defence' })).statusCode).toBe(200);
});
afterAll(async () => {
  await t.close();
});

async function scheduleCode(id: string, ttlMinutes = 60): Promise<{ code: string; pendingActionId: string }> {
  await sup.stepUp();
  const r = await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'caller says locked out', ttlMinutes });
  expect(r.statusCode, r.body).toBe(202);
  return r.json();
}

async function outcome(pendingActionId: string) {
  const pa = await t.ctx.db.selectFrom('pending_actions').select(['status', 'cancelled_by', 'finished_at']).where('id', '=', pendingActionId).executeTakeFirstOrThrow();
  const events = await t.ctx.db.selectFrom('audit_events').select(['action', 'actor_type', 'reason', 'details']).where('details', 'like', `%${pendingActionId}%`).orderBy('seq').execute();
  return { pa, events: events.map((e) => ({ action: e.action, actor: e.actor_type, reason: e.reason, details: e.details ? JSON.parse(e.details) : null })) };
}

const settle = () => new Promise((r) => setTimeout(r, 400));

describe('a scheduled temporary code voided before it falls due', () => {
  it('voided by the customer enrolling a new method: no "now active" email, cancelled by the system', async () => {
    sup = await staffWithMFA(t, 'supervisor');
    const { client, email, id } = await signUpContact(t);
    const phone = await enrollTOTP(t, client);
    const { code, pendingActionId } = await scheduleCode(id);
    // The owner, still signed in, adds another method during the waiting period.
    nextStep(t);
    expect((await client.post('/api/v1/auth/step-up', { method: 'totp', code: codeFor(t, phone.secret) })).statusCode).toBe(200);
    await enrollTOTP(t, client, 'contact', 'Tablet');

    t.clock.advance(24 * 3600_000 + 1000);
    expect(await runDuePendingActions(t.ctx)).toBe(0);
    await settle();
    expect(t.mail.to(email).map((m) => m.subject)).not.toContain(ACTIVE);
    const { pa, events } = await outcome(pendingActionId);
    expect(pa).toMatchObject({ status: 'cancelled', cancelled_by: 'system' });
    expect(pa.finished_at).not.toBeNull();
    // The code was handed out when it was scheduled (issued), and never became active.
    expect(events.map((e) => e.action)).toEqual(['mfa.pending_action.scheduled', 'mfa.temporary_code.issued', 'mfa.pending_action.cancelled']);
    expect(events[2]).toMatchObject({ actor: 'system', details: { pendingActionId, kind: 'temporary_code', codeState: 'voided' } });
    expect(events[2].reason).toMatch(/voided before the waiting period ended/);
    // And indeed the code does not sign in.
    const c = t.client();
    await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await c.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code })).json().code).toBe('invalid_code');
    // Run again: nothing left to do.
    expect(await runDuePendingActions(t.ctx)).toBe(0);
  });

  it('voided by a newer scheduled code: only the newer one is announced, once', async () => {
    sup = await staffWithMFA(t, 'supervisor');
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    const first = await scheduleCode(id);
    const second = await scheduleCode(id, 120);
    t.clock.advance(24 * 3600_000 + 60_000);
    expect(await runDuePendingActions(t.ctx)).toBe(1);
    await t.mail.waitFor(email, ACTIVE);
    await settle();
    expect(t.mail.to(email).filter((m) => m.subject === ACTIVE)).toHaveLength(1);
    expect((await outcome(first.pendingActionId)).pa).toMatchObject({ status: 'cancelled', cancelled_by: 'system' });
    const done = await outcome(second.pendingActionId);
    expect(done.pa.status).toBe('done');
    expect(done.events.map((e) => e.action)).toEqual(['mfa.pending_action.scheduled', 'mfa.temporary_code.issued', 'mfa.temporary_code.activated']);
    const c = t.client();
    await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await c.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code: first.code })).json().code).toBe('invalid_code');
    expect((await c.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code: second.code })).json().state).toBe('enrollment_required');
  });

  it('voided by a scheduled reset that falls due first: no "now active" email', async () => {
    sup = await staffWithMFA(t, 'supervisor');
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    await sup.stepUp();
    const reset = await sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'caller' });
    expect(reset.statusCode, reset.body).toBe(202);
    const { pendingActionId } = await scheduleCode(id);
    t.clock.advance(24 * 3600_000 + 60_000);
    // Due in time order: the reset (which voids every code), then the code.
    expect(await runDuePendingActions(t.ctx)).toBe(1);
    await t.mail.waitFor(email, 'Your two-step verification was reset');
    await settle();
    expect(t.mail.to(email).map((m) => m.subject)).not.toContain(ACTIVE);
    const { pa, events } = await outcome(pendingActionId);
    expect(pa).toMatchObject({ status: 'cancelled', cancelled_by: 'system' });
    expect(events.at(-1)).toMatchObject({ action: 'mfa.pending_action.cancelled', details: { codeState: 'voided' } });
  });

  it('expired before the job came round: not announced, and the audit says it expired', async () => {
    sup = await staffWithMFA(t, 'supervisor');
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    const { pendingActionId } = await scheduleCode(id, 1);
    t.clock.advance(24 * 3600_000 + 2 * 60_000);
    expect(await runDuePendingActions(t.ctx)).toBe(0);
    await settle();
    expect(t.mail.to(email).map((m) => m.subject)).not.toContain(ACTIVE);
    const { pa, events } = await outcome(pendingActionId);
    expect(pa).toMatchObject({ status: 'cancelled', cancelled_by: 'system' });
    expect(events.at(-1)).toMatchObject({ action: 'mfa.pending_action.cancelled', details: { codeState: 'expired' } });
  });
});
