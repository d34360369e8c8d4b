import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { runDuePendingActions } from '../src/recovery/pending-actions.js';

// PRODUCT.md §4: what a staff member issued must not outlive the authority that issued it.
// Revoking an API token (say, one found in a leaked CI log) took away the token, but left
// behind what it had issued: a temporary access code it handed out kept working for up to 72
// hours, and the resets and codes it scheduled through the waiting period still took effect.
// Revocation now takes them back: scheduled changes are cancelled, live codes voided, and each
// customer concerned is told.

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

/** A token in the supervisor's name, made by the admin (created_by is the admin). */
async function supervisorToken(): Promise<{ id: string; token: string }> {
  await admin.stepUp();
  const r = await admin.client.post('/api/v1/api-tokens', { name: 'help desk integration', scopes: ['mfa:manage', 'contacts:read'], staffId: sup.id });
  expect(r.statusCode, r.body).toBe(201);
  return r.json();
}

const call = (token: string, url: string, body: object) =>
  t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });

async function revoke(id: string) {
  await admin.stepUp();
  const r = await admin.client.delete(`/api/v1/api-tokens/${id}`);
  expect(r.statusCode, r.body).toBe(204);
  const entry = await t.ctx.db.selectFrom('audit_events').select('details').where('action', '=', 'api_token.revoked').orderBy('seq', 'desc').executeTakeFirstOrThrow();
  return JSON.parse(entry.details!);
}

async function enrolledContact() {
  const c = await signUpContact(t);
  await enrollTOTP(t, c.client);
  return c;
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

describe('revoking an API token', () => {
  it('voids the temporary access codes it issued at once, emails each customer and notes their ticket; other codes keep working', async () => {
    const { id, token } = await supervisorToken();
    const victim = await enrolledContact();
    // The customer asked for help from the second-step page: a recovery ticket is open.
    const asking = t.client();
    await asking.post('/api/v1/auth/login', { email: victim.email, password: PASSWORD });
    expect((await asking.post('/api/v1/auth/mfa/recovery-requests', { message: 'lost my phone' })).statusCode).toBe(201);
    const issued = await call(token, `/api/v1/contacts/${victim.id}/mfa/temporary-codes`, { reason: 'caller locked out', ttlMinutes: 4320 });
    expect(issued.statusCode, issued.body).toBe(201);
    // The same supervisor, in person, helps someone else: not the token's doing.
    const bystander = await enrolledContact();
    await sup.stepUp();
    const own = await sup.client.post(`/api/v1/contacts/${bystander.id}/mfa/temporary-codes`, { reason: 'verified by callback', verification: { method: 'callback' } });
    expect(own.statusCode, own.body).toBe(201);

    const details = await revoke(id);
    expect(await codeWorks(victim.email, issued.json().code)).toBe(false);
    expect(details).toMatchObject({ tokenId: id, temporaryCodesVoided: 1, temporaryCodesVoidedFor: [victim.id] });
    const mail = await t.mail.waitFor(victim.email, 'The temporary access code for your account no longer works');
    expect(mail.text).toContain('no longer works');
    expect((await admin.client.get(`/api/v1/contacts/${victim.id}/mfa`)).json().temporaryCode).toBeNull();
    const ticket = await t.ctx.db.selectFrom('tickets').select('id').where('contact_id', '=', victim.id).where('recovery', '=', 1).executeTakeFirstOrThrow();
    const notes = await t.ctx.db.selectFrom('ticket_messages').select('body').where('ticket_id', '=', ticket.id).where('author_kind', '=', 'system').execute();
    expect(notes.map((n) => n.body)).toContainEqual(expect.stringContaining('temporary access code was voided: the API token that issued it was revoked'));
    // The supervisor's own code was not the token's: it still works.
    expect(await codeWorks(bystander.email, own.json().code)).toBe(true);
  });

  it('cancels the changes it scheduled through the waiting period, and they never take effect', async () => {
    await admin.stepUp();
    expect((await admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'social engineering defence' })).statusCode).toBe(200);
    const { id, token } = await supervisorToken();
    const reset = await enrolledContact();
    const temp = await enrolledContact();
    const r = await call(token, `/api/v1/contacts/${reset.id}/mfa/reset`, { reason: 'caller lost phone' });
    expect(r.statusCode, r.body).toBe(202);
    const c = await call(token, `/api/v1/contacts/${temp.id}/mfa/temporary-codes`, { reason: 'caller locked out' });
    expect(c.statusCode, c.body).toBe(202);
    const ids = [r.json().pendingActionId as string, c.json().pendingActionId as string];

    const details = await revoke(id);
    const rows = await t.ctx.db.selectFrom('pending_actions').select(['id', 'status', 'cancelled_by']).where('id', 'in', ids).execute();
    expect(rows.map((row) => [row.status, row.cancelled_by])).toEqual([
      ['cancelled', 'system'],
      ['cancelled', 'system'],
    ]);
    expect(details).toMatchObject({ tokenId: id, pendingActionsCancelled: 2 });
    const audit = await t.ctx.db.selectFrom('audit_events').select(['actor_type', 'reason']).where('action', '=', 'mfa.pending_action.cancelled').where('contact_id', 'in', [reset.id, temp.id]).execute();
    expect(audit).toHaveLength(2);
    for (const a of audit) expect(a).toEqual({ actor_type: 'system', reason: 'the API token that scheduled it was revoked' });
    for (const who of [reset, temp]) {
      const mail = await t.mail.waitFor(who.email, 'A scheduled change to your two-step verification was cancelled');
      expect(mail.text).toContain('Nothing changes on your account');
    }

    t.clock.advance(24 * 3600_000 + 1000);
    expect(await runDuePendingActions(t.ctx)).toBe(0);
    // The reset never happened, and the code never works.
    expect((await t.client().post('/api/v1/auth/login', { email: reset.email, password: PASSWORD })).json().state).toBe('mfa_required');
    expect(await codeWorks(temp.email, c.json().code)).toBe(false);
  });
});
