import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { MailSink } from './helpers/mail-sink.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// The emailed cancel link's page asks what the link would cancel before the customer presses
// the button. Asking must change nothing (a mail scanner may run the page), and tell nothing to
// whoever holds no such link.

let t: TestApp;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  admin = await staffWithMFA(t, 'admin');
  await admin.stepUp();
  expect((await admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'social engineering defence' })).statusCode).toBe(200);
});
afterAll(async () => {
  await t.close();
});

describe('POST /api/v1/auth/pending-actions/lookup', () => {
  it('says what the link would cancel and when, changes nothing, and follows the change to cancelled', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    await admin.stepUp();
    const r = await admin.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'caller locked out' });
    expect(r.statusCode, r.body).toBe(202);
    const token = MailSink.token(await t.mail.waitFor(email, 'Our support team will change your two-step verification'), '/pending-actions/cancel');
    const anyone = t.client();
    for (let i = 0; i < 3; i++) {
      const l = await anyone.post('/api/v1/auth/pending-actions/lookup', { token });
      expect(l.statusCode, l.body).toBe(200);
      expect(l.json()).toEqual({ kind: 'temporary_code', status: 'pending', scheduledAt: t.clock.now().toISOString(), effectiveAt: r.json().effectiveAt, change: expect.stringContaining('activate a temporary access code') });
    }
    const row = await t.ctx.db.selectFrom('pending_actions').select(['status', 'finished_at']).where('id', '=', r.json().pendingActionId).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'pending', finished_at: null });
    expect((await t.ctx.db.selectFrom('audit_events').select('id').where('action', '=', 'mfa.pending_action.cancelled').where('contact_id', '=', id).execute())).toEqual([]);

    expect((await anyone.post('/api/v1/auth/pending-actions/cancel', { token })).json()).toMatchObject({ cancelled: true });
    expect((await anyone.post('/api/v1/auth/pending-actions/lookup', { token })).json()).toMatchObject({ status: 'cancelled' });
  });

  it('an unknown, empty or oversized token is a clean 400 problem+json', async () => {
    for (const [token, code] of [['x'.repeat(43), 'invalid_token'], ['', 'invalid_input'], ['x'.repeat(300), 'invalid_input'], [42, 'invalid_input']] as const) {
      const l = await t.client().post('/api/v1/auth/pending-actions/lookup', { token });
      expect(l.statusCode, l.body).toBe(400);
      expect(String(l.headers['content-type'])).toContain('application/problem+json');
      expect(l.json().code).toBe(code);
    }
  });
});
