import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

let t: TestApp;
let sup: StaffWithMFA;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  sup = await staffWithMFA(t, 'supervisor');
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

/** The code of the `n`-th verification email to this address (waiting for it to arrive). */
async function emailedCode(email: string, n = 1): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const mails = t.mail.to(email).filter((m) => m.subject.startsWith('Your verification code'));
    if (mails.length >= n) return mails[n - 1].text.match(/verification code is (\d{6})/)![1];
    if (Date.now() > deadline) throw new Error(`verification email ${n} to ${email} did not arrive`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('identity check by emailed code', () => {
  it('emails a 6-digit code, confirms it once, and the confirmed check goes with exactly one action', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    const check = await sup.client.post(`/api/v1/contacts/${id}/identity-checks`, {});
    expect(check.statusCode).toBe(201);
    const mail = await t.mail.waitFor(email, 'Your verification code');
    expect(mail.text).toContain('Read this code only to a support agent you are talking to about your account');
    const code = await emailedCode(email);
    const checkId = check.json().id;
    expect((await sup.client.post(`/api/v1/contacts/${id}/identity-checks/${checkId}/confirm`, { code: code === '000000' ? '111111' : '000000' })).json().code).toBe('invalid_code');
    expect((await sup.client.post(`/api/v1/contacts/${id}/identity-checks/${checkId}/confirm`, { code })).json()).toEqual({ verified: true });

    await sup.stepUp();
    const verification = { method: 'email_code', checkId };
    const first = await sup.client.post(`/api/v1/contacts/${id}/remembered-devices/revoke`, { reason: 'x' });
    expect(first.statusCode).toBe(200);
    const reset = await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'verified by email', verification });
    expect(reset.statusCode, reset.body).toBe(201);
    const reuse = await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'again', verification });
    expect(reuse.statusCode).toBe(400);
    const events = (await sup.client.get(`/api/v1/audit-events?contactId=${id}&action=mfa.temporary_code.issued`)).json().items;
    expect(events).toHaveLength(1);
    expect(events[0].verification).toEqual({ method: 'email_code', checkId });
    expect(JSON.stringify(events)).not.toContain(code);
  });

  it('allows 5 tries and lives 10 minutes; a confirmed check expires after 30 minutes', async () => {
    const { id, email } = await signUpContact(t);
    const checkId = (await sup.client.post(`/api/v1/contacts/${id}/identity-checks`, {})).json().id;
    const code = await emailedCode(email);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) await sup.client.post(`/api/v1/contacts/${id}/identity-checks/${checkId}/confirm`, { code: wrong });
    expect((await sup.client.post(`/api/v1/contacts/${id}/identity-checks/${checkId}/confirm`, { code })).json().code).toBe('invalid_code');

    const late = (await sup.client.post(`/api/v1/contacts/${id}/identity-checks`, {})).json().id;
    const lateCode = await emailedCode(email, 2);
    // Entering the code needs a step-up from the last 5 minutes; stepUp() moves the clock one
    // TOTP step (30 s), so the code is 10 minutes and 1 second old when it is entered.
    t.clock.advance(10 * 60_000 + 1000 - 30_000);
    await sup.stepUp();
    expect((await sup.client.post(`/api/v1/contacts/${id}/identity-checks/${late}/confirm`, { code: lateCode })).json().code).toBe('invalid_code');

    const ok = (await sup.client.post(`/api/v1/contacts/${id}/identity-checks`, {})).json().id;
    const okCode = await emailedCode(email, 3);
    expect((await sup.client.post(`/api/v1/contacts/${id}/identity-checks/${ok}/confirm`, { code: okCode })).statusCode).toBe(200);
    t.clock.advance(31 * 60_000);
    await sup.stepUp();
    const stale = await sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'x', verification: { method: 'email_code', checkId: ok } });
    expect(stale.statusCode).toBe(400);
  });

  it('sending and entering a code need the staff member\'s step-up from the last 5 minutes; an API token needs none', async () => {
    const { id, email } = await signUpContact(t);
    t.clock.advance(6 * 60_000);
    const unsent = await sup.client.post(`/api/v1/contacts/${id}/identity-checks`, {});
    expect(unsent.statusCode).toBe(403);
    expect(unsent.headers['content-type']).toContain('application/problem+json');
    expect(unsent.json().code).toBe('step_up_required');
    expect(await t.ctx.db.selectFrom('identity_checks').select('id').where('owner_id', '=', id).execute()).toHaveLength(0);

    await sup.stepUp();
    const checkId = (await sup.client.post(`/api/v1/contacts/${id}/identity-checks`, {})).json().id;
    const code = await emailedCode(email);
    t.clock.advance(5 * 60_000 + 1000);
    const stale = await sup.client.post(`/api/v1/contacts/${id}/identity-checks/${checkId}/confirm`, { code });
    expect(stale.statusCode).toBe(403);
    expect(stale.headers['content-type']).toContain('application/problem+json');
    expect(stale.json().code).toBe('step_up_required');
    // The refused confirmation used no try and confirmed nothing.
    const row = await t.ctx.db.selectFrom('identity_checks').selectAll().where('id', '=', checkId).executeTakeFirstOrThrow();
    expect([Number(row.attempts), row.verified_at]).toEqual([0, null]);
    await sup.stepUp();
    expect((await sup.client.post(`/api/v1/contacts/${id}/identity-checks/${checkId}/confirm`, { code })).json()).toEqual({ verified: true });

    // API clients: no CSRF, no step-up (API.md).
    await admin.stepUp();
    const { token } = (await admin.client.post('/api/v1/api-tokens', { name: 'identity bot', scopes: ['mfa:manage'] })).json();
    t.clock.advance(6 * 60_000);
    const api = t.client();
    api.csrf = false;
    const bearer = { authorization: `Bearer ${token}` };
    const viaToken = await api.post(`/api/v1/contacts/${id}/identity-checks`, {}, bearer);
    expect(viaToken.statusCode, viaToken.body).toBe(201);
    const confirmed = await api.post(`/api/v1/contacts/${id}/identity-checks/${viaToken.json().id}/confirm`, { code: await emailedCode(email, 2) }, bearer);
    expect(confirmed.statusCode, confirmed.body).toBe(200);
  });

  it('when the admin requires it, actions on a contact with factors need a confirmed email check', async () => {
    await admin.stepUp();
    expect((await admin.client.put('/api/v1/settings/mfa', { requireEmailVerification: true, reason: 'MGM-style attacks' })).statusCode).toBe(200);
    try {
      const { client, id, email } = await signUpContact(t);
      await enrollTOTP(t, client);
      await sup.stepUp();
      const denied = await sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'caller says lost phone', verification: { method: 'callback' } });
      expect(denied.statusCode).toBe(403);
      expect(denied.json().code).toBe('verification_required');
      expect((await sup.client.get(`/api/v1/contacts/${id}/mfa`)).json().enrolled).toBe(true);
      const checkId = (await sup.client.post(`/api/v1/contacts/${id}/identity-checks`, {})).json().id;
      await sup.client.post(`/api/v1/contacts/${id}/identity-checks/${checkId}/confirm`, { code: await emailedCode(email) });
      const ok = await sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'verified', verification: { method: 'email_code', checkId } });
      expect(ok.statusCode, ok.body).toBe(200);
    } finally {
      await admin.stepUp();
      await admin.client.put('/api/v1/settings/mfa', { requireEmailVerification: false, reason: 'test over' });
    }
  });
});
