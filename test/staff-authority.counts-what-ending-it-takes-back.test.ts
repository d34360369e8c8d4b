import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { seedEnrolledContacts } from './helpers/seed.js';
import { staffWithRole } from './helpers/staff-session.js';

// STYLE.md 10: every destructive staff action shows what it will remove before it does.
// Deactivating or demoting a staff member, and revoking an API token, also cancel the bulk
// resets, the scheduled (waiting-period) changes and the temporary access codes made under
// that authority (src/recovery/ended-authority.ts), yet the console's confirmations said only
// "signed out everywhere and their API tokens revoked". GET /staff/{id}/authority and
// GET /api-tokens/{id}/authority count, without changing anything, what the change would take
// back; here each count is checked against what the change then reports it took back.

let t: TestApp;
let boss: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  boss = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

const ZERO = { apiTokens: 0, runningBulkResets: 0, scheduledChanges: 0, liveTemporaryCodes: 0 };

async function enrolledContact() {
  const c = await signUpContact(t);
  await enrollTOTP(t, c.client);
  return c;
}

async function waitingPeriod(hours: number) {
  await boss.stepUp();
  const r = await boss.client.put('/api/v1/settings/mfa', { waitingPeriodHours: hours, reason: 'social engineering defence' });
  expect(r.statusCode, r.body).toBe(200);
}

/** A temporary code (201 at once, 202 scheduled under a waiting period) issued over a browser session. */
async function issueCode(by: StaffWithMFA, target: { id: string }, kind: 'contacts' | 'staff' = 'contacts') {
  await by.stepUp();
  const r = await by.client.post(`/api/v1/${kind}/${target.id}/mfa/temporary-codes`, { reason: 'caller locked out', verification: { method: 'callback' }, ttlMinutes: 4320 });
  expect([201, 202], r.body).toContain(r.statusCode);
  return r.json();
}

const bearer = (token: string, method: 'GET' | 'POST', url: string, body?: object) =>
  t.app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });

async function authorityOf(staffID: string, role?: string) {
  const r = await boss.client.get(`/api/v1/staff/${staffID}/authority${role ? `?role=${role}` : ''}`);
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
}

async function change(who: { id: string }, body: object) {
  await boss.stepUp();
  const r = await boss.client.patch(`/api/v1/staff/${who.id}`, body);
  expect(r.statusCode, r.body).toBe(200);
  const entry = await t.ctx.db.selectFrom('audit_events').select('details').where('staff_id', '=', who.id).where('action', 'in', ['staff.deactivated', 'staff.role_changed']).orderBy('seq', 'desc').executeTakeFirstOrThrow();
  return JSON.parse(entry.details!);
}

async function expectProblem(r: { statusCode: number; headers: Record<string, unknown>; body: string; json(): { code: string } }, status: number, code: string) {
  expect(r.statusCode, r.body).toBe(status);
  expect(String(r.headers['content-type'])).toContain('application/problem+json');
  expect(r.json().code).toBe(code);
}

describe('GET /api/v1/staff/{id}/authority', () => {
  it("counts a supervisor's tokens, scheduled changes and live codes (in person and through a token) as deactivation then takes them back", async () => {
    await waitingPeriod(0);
    const sup = await staffWithMFA(t, 'supervisor');
    // A token in the supervisor's name (made by the admin), and a code issued through it.
    await boss.stepUp();
    const made = await boss.client.post('/api/v1/api-tokens', { name: 'desk', scopes: ['mfa:manage', 'contacts:read'], staffId: sup.id });
    expect(made.statusCode, made.body).toBe(201);
    const viaToken = await enrolledContact();
    expect((await bearer(made.json().token, 'POST', `/api/v1/contacts/${viaToken.id}/mfa/temporary-codes`, { reason: 'caller locked out' })).statusCode).toBe(201);
    // A code issued in person, and one already used whose sign-in has not set up a method yet.
    await issueCode(sup, await enrolledContact());
    const used = await enrolledContact();
    const usedCode = (await issueCode(sup, used)).code;
    const caller = t.client();
    await caller.post('/api/v1/auth/login', { email: used.email, password: PASSWORD });
    expect((await caller.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code: usedCode })).json().state).toBe('enrollment_required');
    // Under a waiting period: a reset and a code scheduled (the code held back is the change's, not a live code).
    await waitingPeriod(24);
    await sup.stepUp();
    const reset = await sup.client.post(`/api/v1/contacts/${(await enrolledContact()).id}/mfa/reset`, { reason: 'caller lost phone', verification: { method: 'callback' } });
    expect(reset.statusCode, reset.body).toBe(202);
    expect((await issueCode(sup, await enrolledContact())).pendingActionId).toEqual(expect.any(String));
    await waitingPeriod(0);

    const deactivation = await authorityOf(sup.id);
    expect(deactivation).toEqual({ staffId: sup.id, change: { active: false }, apiTokens: 1, runningBulkResets: 0, scheduledChanges: 2, liveTemporaryCodes: 3 });
    // Moved to agent: the same, but the tokens stay (their scopes are cut, not revoked).
    expect(await authorityOf(sup.id, 'agent')).toEqual({ staffId: sup.id, change: { role: 'agent' }, apiTokens: 0, runningBulkResets: 0, scheduledChanges: 2, liveTemporaryCodes: 3 });
    // Made an admin: nothing is taken back.
    expect(await authorityOf(sup.id, 'admin')).toEqual({ staffId: sup.id, change: { role: 'admin' }, ...ZERO });
    // Counting changed nothing.
    expect(await authorityOf(sup.id)).toEqual(deactivation);

    const details = await change(sup, { active: false });
    expect(details).toMatchObject({ tokensRevoked: 1, pendingActionsCancelled: 2, temporaryCodesVoided: 3, bulkJobsCancelled: 0 });
    expect(await authorityOf(sup.id)).toEqual({ staffId: sup.id, change: { active: false }, ...ZERO });
  });

  it("counts an admin's running bulk reset, and for a move to supervisor only what a supervisor may no longer do", async () => {
    const rogue = await staffWithMFA(t, 'admin');
    const contacts = await seedEnrolledContacts(t.ctx, 3);
    const emails = (await t.ctx.db.selectFrom('contacts').select('email').where('id', 'in', contacts).execute()).map((r) => r.email);
    await rogue.stepUp();
    const job = await rogue.client.post('/api/v1/mfa/bulk-resets', { filter: { emails }, reason: 'incident 21' });
    expect(job.statusCode, job.body).toBe(202);
    // A code for a customer (a supervisor may still issue it) and one for a colleague (admins only).
    await issueCode(rogue, await enrolledContact());
    const colleague = await staffWithMFA(t, 'agent');
    await issueCode(rogue, colleague, 'staff');

    expect(await authorityOf(rogue.id)).toEqual({ staffId: rogue.id, change: { active: false }, apiTokens: 0, runningBulkResets: 1, scheduledChanges: 0, liveTemporaryCodes: 2 });
    expect(await authorityOf(rogue.id, 'supervisor')).toEqual({ staffId: rogue.id, change: { role: 'supervisor' }, apiTokens: 0, runningBulkResets: 1, scheduledChanges: 0, liveTemporaryCodes: 1 });
    expect(await authorityOf(rogue.id, 'admin')).toEqual({ staffId: rogue.id, change: { role: 'admin' }, ...ZERO });

    const details = await change(rogue, { role: 'supervisor' });
    expect(details).toMatchObject({ bulkJobsCancelled: 1, temporaryCodesVoided: 1, temporaryCodesVoidedFor: [colleague.id], pendingActionsCancelled: 0 });
    expect(await authorityOf(rogue.id, 'supervisor')).toEqual({ staffId: rogue.id, change: { role: 'supervisor' }, ...ZERO });
    // The customer's code is still theirs to lose with a deactivation.
    expect(await authorityOf(rogue.id)).toMatchObject({ liveTemporaryCodes: 1, runningBulkResets: 0 });
  });

  it('is for admins: an agent or a supervisor gets 403 problem+json; an unknown id is 404; a bad role 400; a staff:manage token may read it', async () => {
    const { account: agent, client: agentClient } = await staffWithRole(t, 'agent');
    const { client: supClient } = await staffWithRole(t, 'supervisor');
    await expectProblem(await agentClient.get(`/api/v1/staff/${boss.id}/authority`), 403, 'forbidden');
    await expectProblem(await supClient.get(`/api/v1/staff/${agent.id}/authority`), 403, 'forbidden');
    await expectProblem(await t.client().get(`/api/v1/staff/${agent.id}/authority`), 401, 'unauthenticated');
    await expectProblem(await boss.client.get('/api/v1/staff/st_000000000000nosuchstaffmember/authority'), 404, 'not_found');
    await expectProblem(await boss.client.get('/api/v1/staff/nope/authority'), 404, 'not_found');
    await expectProblem(await boss.client.get(`/api/v1/staff/${agent.id}/authority?role=owner`), 400, 'invalid_input');
    // Reading it needs no step-up (it changes nothing; the change itself asks for one).
    t.clock.advance(10 * 60_000);
    expect((await boss.client.get(`/api/v1/staff/${agent.id}/authority`)).json()).toEqual({ staffId: agent.id, change: { active: false }, ...ZERO });
    await boss.stepUp();
    const made = await boss.client.post('/api/v1/api-tokens', { name: 'staff sync', scopes: ['staff:manage'] });
    expect(made.statusCode, made.body).toBe(201);
    const r = await bearer(made.json().token, 'GET', `/api/v1/staff/${agent.id}/authority`);
    expect(r.statusCode, r.body).toBe(200);
    const narrow = await boss.client.post('/api/v1/api-tokens', { name: 'reader', scopes: ['contacts:read'] });
    await expectProblem(await bearer(narrow.json().token, 'GET', `/api/v1/staff/${agent.id}/authority`), 403, 'forbidden');
  });
});

describe('GET /api/v1/api-tokens/{id}/authority', () => {
  it("names the token's owner and counts its bulk resets, scheduled changes and live codes as revoking then takes them back", async () => {
    await boss.stepUp();
    const made = await boss.client.post('/api/v1/api-tokens', { name: 'incident bot', scopes: ['mfa:manage', 'mfa:bulk', 'contacts:read'] });
    expect(made.statusCode, made.body).toBe(201);
    const { id, token } = made.json();
    const contacts = await seedEnrolledContacts(t.ctx, 2);
    const emails = (await t.ctx.db.selectFrom('contacts').select('email').where('id', 'in', contacts).execute()).map((r) => r.email);
    expect((await bearer(token, 'POST', '/api/v1/mfa/bulk-resets', { filter: { emails }, reason: 'incident 22' })).statusCode).toBe(202);
    expect((await bearer(token, 'POST', `/api/v1/contacts/${(await enrolledContact()).id}/mfa/temporary-codes`, { reason: 'caller locked out' })).statusCode).toBe(201);
    await waitingPeriod(24);
    expect((await bearer(token, 'POST', `/api/v1/contacts/${(await enrolledContact()).id}/mfa/reset`, { reason: 'caller lost phone' })).statusCode).toBe(202);
    await waitingPeriod(0);
    // The admin's own doings in person are not the token's.
    await issueCode(boss, await enrolledContact());

    await boss.stepUp();
    const r = await boss.client.get(`/api/v1/api-tokens/${id}/authority`);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ tokenId: id, owner: { id: boss.id, name: 'Admin Person', email: boss.email }, apiTokens: 1, runningBulkResets: 1, scheduledChanges: 1, liveTemporaryCodes: 1 });
    // The list names each token's owner too.
    const listed = (await boss.client.get('/api/v1/api-tokens?limit=200')).json().items.find((x: { id: string }) => x.id === id);
    expect(listed).toMatchObject({ staffId: boss.id, owner: { id: boss.id, name: 'Admin Person', email: boss.email } });

    expect((await boss.client.delete(`/api/v1/api-tokens/${id}`)).statusCode).toBe(204);
    const entry = await t.ctx.db.selectFrom('audit_events').select('details').where('action', '=', 'api_token.revoked').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect(JSON.parse(entry.details!)).toMatchObject({ tokenId: id, bulkJobsCancelled: 1, pendingActionsCancelled: 1, temporaryCodesVoided: 1 });
    expect((await boss.client.get(`/api/v1/api-tokens/${id}/authority`)).json()).toEqual({ tokenId: id, owner: { id: boss.id, name: 'Admin Person', email: boss.email }, ...ZERO });
  });

  it('needs an admin session with a fresh step-up, as the list does; a supervisor gets 403 problem+json; an unknown id is 404', async () => {
    await boss.stepUp();
    const made = await boss.client.post('/api/v1/api-tokens', { name: 'guarded', scopes: ['contacts:read'] });
    const { id, token } = made.json();
    const { client: supClient } = await staffWithRole(t, 'supervisor');
    await expectProblem(await supClient.get(`/api/v1/api-tokens/${id}/authority`), 403, 'forbidden');
    await expectProblem(await bearer(token, 'GET', `/api/v1/api-tokens/${id}/authority`), 403, 'forbidden');
    await expectProblem(await boss.client.get('/api/v1/api-tokens/tok_000000000000nosuchtokenhere0/authority'), 404, 'not_found');
    await expectProblem(await boss.client.get('/api/v1/api-tokens/nope/authority'), 404, 'not_found');
    t.clock.advance(6 * 60_000);
    await expectProblem(await boss.client.get(`/api/v1/api-tokens/${id}/authority`), 403, 'step_up_required');
  });
});
