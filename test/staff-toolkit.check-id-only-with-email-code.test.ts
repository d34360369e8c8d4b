import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// API.md: `checkId` names a confirmed, unused identity check, for `email_code`. With any other
// method it was written to the audit entry as if the check had been used, without being
// confirmed or consumed: an action "verified by check X" that never was. Now it is 400
// invalid_input and nothing happens (no change, no audit entry, the check still unused).

let t: TestApp;
let sup: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  sup = await staffWithMFA(t, 'supervisor');
});
afterAll(async () => {
  await t.close();
});

async function confirmedCheck(id: string, email: string): Promise<string> {
  await sup.stepUp();
  const before = t.mail.to(email).filter((m) => m.subject.startsWith('Your verification code')).length;
  const check = await sup.client.post(`/api/v1/contacts/${id}/identity-checks`, {});
  expect(check.statusCode, check.body).toBe(201);
  const deadline = Date.now() + 5000;
  let code: string | undefined;
  while (!code) {
    const mails = t.mail.to(email).filter((m) => m.subject.startsWith('Your verification code'));
    if (mails.length > before) code = mails[before].text.match(/verification code is (\d{6})/)![1];
    else if (Date.now() > deadline) throw new Error('no verification email');
    else await new Promise((r) => setTimeout(r, 50));
  }
  expect((await sup.client.post(`/api/v1/contacts/${id}/identity-checks/${check.json().id}/confirm`, { code })).json()).toEqual({ verified: true });
  return check.json().id;
}

async function auditCount(id: string): Promise<number> {
  const r = await t.ctx.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('contact_id', '=', id).executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('verification.checkId goes only with email_code', () => {
  it('any other method with a checkId is 400 invalid_input, and nothing changes', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    const checkId = await confirmedCheck(id, email);
    const events = await auditCount(id);
    await sup.stepUp();
    const attempts: Array<[string, object]> = [];
    for (const method of ['callback', 'other', 'none']) {
      attempts.push([`/api/v1/contacts/${id}/sessions/revoke`, { reason: 'caller', verification: { method, checkId } }]);
      attempts.push([`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'caller', verification: { method, checkId, note: 'called back' } }]);
      attempts.push([`/api/v1/contacts/${id}/mfa/reset`, { reason: 'caller', verification: { method, checkId: 'ic_made_up' } }]);
    }
    for (const [url, body] of attempts) {
      const r = await sup.client.post(url, body);
      expect(r.statusCode, `${url} ${JSON.stringify(body)}: ${r.body}`).toBe(400);
      expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(r.json().code).toBe('invalid_input');
      expect(r.json().detail).toMatch(/checkId.*email_code/);
    }
    expect(await auditCount(id)).toBe(events);
    // The customer is still signed in and enrolled, with no code issued.
    expect((await client.get('/api/v1/auth/session')).json().state).toBe('authenticated');
    const panel = (await sup.client.get(`/api/v1/contacts/${id}/mfa`)).json();
    expect(panel).toMatchObject({ enrolled: true, temporaryCode: null });
    // The check was not used up: it still goes with one email_code action.
    const ok = await sup.client.post(`/api/v1/contacts/${id}/sessions/revoke`, { reason: 'verified by email', verification: { method: 'email_code', checkId } });
    expect(ok.statusCode, ok.body).toBe(200);
    const ev = await t.ctx.db.selectFrom('audit_events').select('verification').where('contact_id', '=', id).where('action', '=', 'sessions.revoked_by_staff').execute();
    expect(ev.map((e) => JSON.parse(e.verification!))).toEqual([{ method: 'email_code', checkId }]);
  });

  it('other methods without a checkId still work and record only the method and note', async () => {
    const { client, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    await sup.stepUp();
    const r = await sup.client.post(`/api/v1/contacts/${id}/sessions/revoke`, { reason: 'caller', verification: { method: 'callback', note: 'number on file' } });
    expect(r.statusCode, r.body).toBe(200);
    const ev = await t.ctx.db.selectFrom('audit_events').select('verification').where('contact_id', '=', id).where('action', '=', 'sessions.revoked_by_staff').executeTakeFirstOrThrow();
    expect(JSON.parse(ev.verification!)).toEqual({ method: 'callback', note: 'number on file' });
  });
});
