import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { MailSink } from './helpers/mail-sink.js';
import { runDuePendingActions } from '../src/recovery/pending-actions.js';

let t: TestApp;
let sup: StaffWithMFA;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  sup = await staffWithMFA(t, 'supervisor');
  admin = await staffWithMFA(t, 'admin');
  await admin.stepUp();
  expect((await admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'social engineering defence' })).statusCode).toBe(200);
});
afterAll(async () => {
  await t.close();
});

describe('waiting period', () => {
  it('schedules a reset instead of applying it, emails the customer a cancel link, and applies it when due', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    await sup.stepUp();
    const r = await sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'caller lost phone' });
    expect(r.statusCode, r.body).toBe(202);
    const { pendingActionId, effectiveAt } = r.json();
    expect(pendingActionId).toMatch(/^pa_/);
    expect(new Date(effectiveAt).getTime() - t.clock.now().getTime()).toBe(24 * 3600_000);
    // Nothing changed yet: the owner still signs in with their factor.
    expect((await sup.client.get(`/api/v1/contacts/${id}/mfa`)).json()).toMatchObject({ enrolled: true, pendingActions: [{ id: pendingActionId, kind: 'reset', status: 'pending' }] });
    const mail = await t.mail.waitFor(email, 'Our support team will change your two-step verification');
    expect(mail.text).toContain('/pending-actions/cancel?token=');
    expect((await sup.client.get('/api/v1/pending-actions?status=pending')).json().items.map((p: { id: string }) => p.id)).toContain(pendingActionId);

    expect(await runDuePendingActions(t.ctx)).toBe(0);
    t.clock.advance(24 * 3600_000 + 1000);
    expect(await runDuePendingActions(t.ctx)).toBe(1);
    // A day later the supervisor's console session has expired: another one looks.
    const scheduler = sup.id;
    sup = await staffWithMFA(t, 'supervisor');
    expect((await sup.client.get(`/api/v1/contacts/${id}/mfa`)).json()).toMatchObject({ enrolled: false, setupLinkRequired: true });
    const applied = await t.mail.waitFor(email, 'Your two-step verification was reset');
    // Made by the waiting period's end, not by a request: it says which change it is, and
    // shows no made-up "From".
    expect(applied.text).toMatch(/This is the change we emailed you about on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC: the waiting period to cancel it is over/);
    expect(applied.text).not.toContain('From:');
    const events = (await sup.client.get(`/api/v1/audit-events?contactId=${id}&action=mfa.reset`)).json().items;
    expect(events[0]).toMatchObject({ actor: { type: 'staff', id: scheduler }, reason: 'caller lost phone', details: { pendingActionId } });
  });

  it('the owner cancels from the emailed link (a button, never a bare GET); nothing happens and staff are told', async () => {
    sup = await staffWithMFA(t, 'supervisor');
    const { client, email, id } = await signUpContact(t);
    const f = await enrollTOTP(t, client);
    await sup.stepUp();
    const issued = await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'caller says locked out' });
    expect(issued.statusCode).toBe(202);
    const { code, pendingActionId } = issued.json();
    // The code does not work during the waiting period.
    const attacker = t.client();
    await attacker.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await attacker.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code })).json().code).toBe('invalid_code');

    const token = MailSink.token(await t.mail.waitFor(email, 'Our support team will change'), '/pending-actions/cancel');
    const owner = t.client();
    const cancel = await owner.post('/api/v1/auth/pending-actions/cancel', { token });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect((await owner.post('/api/v1/auth/pending-actions/cancel', { token })).json().code).toBe('invalid_token');
    await t.mail.waitFor(sup.email, 'A customer cancelled a scheduled MFA change');
    t.clock.advance(25 * 3600_000);
    expect(await runDuePendingActions(t.ctx)).toBe(0);
    const later = t.client();
    await later.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await later.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code })).json().code).toBe('invalid_code');
    nextStep(t);
    expect((await later.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, f.secret) })).statusCode).toBe(200);
    sup = await staffWithMFA(t, 'supervisor');
    const pa = (await sup.client.get(`/api/v1/pending-actions?contactId=${id}`)).json().items.find((p: { id: string }) => p.id === pendingActionId);
    expect(pa).toMatchObject({ status: 'cancelled', cancelledBy: 'contact' });
  });

  it('a delayed temporary code works once the period is over', async () => {
    sup = await staffWithMFA(t, 'supervisor');
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    await sup.stepUp();
    const { code } = (await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'verified by callback', ttlMinutes: 120 })).json();
    t.clock.advance(24 * 3600_000 + 1000);
    await runDuePendingActions(t.ctx);
    const active = await t.mail.waitFor(email, 'A temporary access code for your account is now active');
    expect(active.text).toMatch(/issued for your account on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC \(we emailed you about it then\)/);
    expect(active.text).not.toContain('From:');
    const c = t.client();
    expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).json().methods).toContain('temporary_code');
    expect((await c.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code })).json().state).toBe('enrollment_required');
  });

  it('staff can cancel; removing a factor that is not the last one, and contacts without factors, are not delayed', async () => {
    sup = await staffWithMFA(t, 'supervisor');
    const { client, id } = await signUpContact(t);
    const phone = await enrollTOTP(t, client, 'contact', 'Phone');
    nextStep(t);
    await client.post('/api/v1/auth/step-up', { method: 'totp', code: codeFor(t, phone.secret) });
    const tablet = await enrollTOTP(t, client, 'contact', 'Tablet');
    await sup.stepUp();
    const notLast = await sup.client.delete(`/api/v1/contacts/${id}/mfa/factors/${tablet.factorId}`, { reason: 'old tablet' });
    expect(notLast.statusCode).toBe(200);
    const last = await sup.client.delete(`/api/v1/contacts/${id}/mfa/factors/${phone.factorId}`, { reason: 'phone' });
    expect(last.statusCode).toBe(202);
    const cancel = await sup.client.post(`/api/v1/pending-actions/${last.json().pendingActionId}/cancel`, { reason: 'customer found the phone' });
    expect(cancel.json().status).toBe('cancelled');
    expect((await sup.client.post(`/api/v1/pending-actions/${last.json().pendingActionId}/cancel`, { reason: 'again' })).statusCode).toBe(409);
    const bare = await signUpContact(t);
    expect((await sup.client.post(`/api/v1/contacts/${bare.id}/mfa/reset`, { reason: 'no factors' })).statusCode).toBe(200);
  });
});
