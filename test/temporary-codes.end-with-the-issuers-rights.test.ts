import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// PRODUCT.md §4: a temporary access code lets whoever holds it past the second step. Without a
// waiting period (the default) it works at once, for up to 72 hours. A code must not outlive
// the authority of whoever issued it: a rogue supervisor who is deactivated (or moved to a role
// that may no longer act on that account) leaves no working code behind, in person or through
// an API token they own or made for someone else. Each customer concerned is told.

let t: TestApp;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

async function enrolledContact() {
  const c = await signUpContact(t);
  await enrollTOTP(t, c.client);
  return c;
}

/** A 72-hour code issued at once by a staff member over their browser session. */
async function issue(by: StaffWithMFA, target: { id: string }, kind: 'contacts' | 'staff' = 'contacts'): Promise<string> {
  await by.stepUp();
  const r = await by.client.post(`/api/v1/${kind}/${target.id}/mfa/temporary-codes`, { reason: 'caller locked out', verification: { method: 'callback' }, ttlMinutes: 4320 });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().code;
}

async function change(who: { id: string }, body: object) {
  await admin.stepUp();
  const r = await admin.client.patch(`/api/v1/staff/${who.id}`, body);
  expect(r.statusCode, r.body).toBe(200);
  const entry = await t.ctx.db.selectFrom('audit_events').select('details').where('staff_id', '=', who.id).where('action', 'in', ['staff.deactivated', 'staff.role_changed']).orderBy('seq', 'desc').executeTakeFirstOrThrow();
  return JSON.parse(entry.details!);
}

/** Whether a temporary access code lets a stranger who knows the password past the second step. */
async function codeWorks(email: string, code: string): Promise<boolean> {
  const c = t.client();
  expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
  const r = await c.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code });
  if (r.statusCode === 200) return true;
  expect(r.statusCode, r.body).toBe(400);
  expect(String(r.headers['content-type'])).toContain('application/problem+json');
  expect(r.json().code).toBe('invalid_code');
  return false;
}

async function liveCode(owner: { id: string }): Promise<boolean> {
  const rows = await t.ctx.db.selectFrom('temporary_codes').select('id').where('owner_id', '=', owner.id).where('used_at', 'is', null).where('voided_at', 'is', null).execute();
  return rows.length > 0;
}

describe('a temporary access code issued at once', () => {
  it('stops working when the supervisor who issued it is deactivated; the customer is told', async () => {
    const sup = await staffWithMFA(t, 'supervisor');
    const victim = await enrolledContact();
    const code = await issue(sup, victim);
    const details = await change(sup, { active: false });
    expect(await codeWorks(victim.email, code)).toBe(false);
    expect(details).toMatchObject({ temporaryCodesVoided: 1, temporaryCodesVoidedFor: [victim.id] });
    const mail = await t.mail.waitFor(victim.email, 'The temporary access code for your account no longer works');
    expect(mail.text).toContain('can no longer act on your account');
    expect((await admin.client.get(`/api/v1/contacts/${victim.id}/mfa`)).json().temporaryCode).toBeNull();
  });

  it('already used: the sign-in it opened ends with its issuer and cannot set up a method', async () => {
    const sup = await staffWithMFA(t, 'supervisor');
    const victim = await enrolledContact();
    const code = await issue(sup, victim);
    const caller = t.client();
    await caller.post('/api/v1/auth/login', { email: victim.email, password: PASSWORD });
    expect((await caller.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code })).json().state).toBe('enrollment_required');
    const details = await change(sup, { active: false });
    expect(details).toMatchObject({ temporaryCodesVoidedFor: [victim.id] });
    expect((await caller.post('/api/v1/me/mfa/totp')).statusCode).toBe(401);
    const factors = await t.ctx.db.selectFrom('mfa_factors').select('name').where('owner_id', '=', victim.id).where('status', '=', 'active').execute();
    expect(factors).toHaveLength(1);
    const mail = await t.mail.waitFor(victim.email, 'The temporary access code for your account no longer works');
    expect(mail.text).toContain('the sign-in made with it was ended');
  });

  it('stops working when its supervisor is moved to agent, and keeps working when they are made admin', async () => {
    const kept = await staffWithMFA(t, 'supervisor');
    const keptFor = await enrolledContact();
    const keptCode = await issue(kept, keptFor);
    await change(kept, { role: 'admin' });

    const sup = await staffWithMFA(t, 'supervisor');
    const victim = await enrolledContact();
    const code = await issue(sup, victim);
    const details = await change(sup, { role: 'agent' });
    expect(await codeWorks(victim.email, code)).toBe(false);
    expect(await codeWorks(keptFor.email, keptCode)).toBe(true);
    expect(details).toMatchObject({ temporaryCodesVoided: 1 });
  });

  it('for a staff member stops working when the admin who issued it becomes a supervisor; their customers\' codes stay', async () => {
    const boss = await staffWithMFA(t, 'admin');
    const colleague = await staffWithMFA(t, 'agent');
    const customer = await enrolledContact();
    await issue(boss, colleague, 'staff');
    const customerCode = await issue(boss, customer);
    const details = await change(boss, { role: 'supervisor' });
    expect(await liveCode(colleague)).toBe(false);
    await t.mail.waitFor(colleague.email, 'The temporary access code for your account no longer works');
    expect(await codeWorks(customer.email, customerCode)).toBe(true);
    expect(details).toMatchObject({ temporaryCodesVoided: 1, temporaryCodesVoidedFor: [colleague.id] });
  });

  it('through an API token stops working when the admin who made the token is deactivated', async () => {
    const maker = await staffWithMFA(t, 'admin');
    const owner = await staffWithMFA(t, 'supervisor');
    await maker.stepUp();
    const made = await maker.client.post('/api/v1/api-tokens', { name: 'for the help desk', scopes: ['mfa:manage'], staffId: owner.id });
    expect(made.statusCode, made.body).toBe(201);
    const victim = await enrolledContact();
    const r = await t.app.inject({
      method: 'POST',
      url: `/api/v1/contacts/${victim.id}/mfa/temporary-codes`,
      headers: { authorization: `Bearer ${made.json().token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ reason: 'caller locked out', ttlMinutes: 4320 }),
    });
    expect(r.statusCode, r.body).toBe(201);
    const details = await change(maker, { active: false });
    expect(await codeWorks(victim.email, r.json().code)).toBe(false);
    expect(details).toMatchObject({ tokensRevoked: 1, temporaryCodesVoided: 1 });
  });
});
