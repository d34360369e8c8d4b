import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// Cancelling a scheduled change from the console is a toolkit action like the others (API.md
// "Staff MFA toolkit"): over a browser session it needs a fresh step-up (403 step_up_required),
// API tokens are exempt, and no staff member acts on their own account, nor through a token
// made for someone else (403 forbidden). A refused cancel leaves the action pending.

let t: TestApp;
let admin: StaffWithMFA;
let scheduler: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  admin = await staffWithMFA(t, 'admin');
  scheduler = await staffWithMFA(t, 'supervisor');
  await admin.stepUp();
  expect((await admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'social engineering defence' })).statusCode).toBe(200);
});
afterAll(async () => {
  await t.close();
});

/** A scheduled reset of an enrolled customer (optionally with a given address). */
async function scheduledReset(email?: string): Promise<{ id: string; pendingActionId: string }> {
  const { client, id } = await signUpContact(t, email);
  await enrollTOTP(t, client);
  await scheduler.stepUp();
  const r = await scheduler.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'caller lost phone' });
  expect(r.statusCode, r.body).toBe(202);
  return { id, pendingActionId: r.json().pendingActionId };
}

async function statusOf(pendingActionId: string): Promise<string> {
  const r = await t.ctx.db.selectFrom('pending_actions').select('status').where('id', '=', pendingActionId).executeTakeFirstOrThrow();
  return r.status;
}

async function tokenFor(owner: { id: string }, scopes: string[]): Promise<string> {
  await admin.stepUp();
  const r = await admin.client.post('/api/v1/api-tokens', { name: `for ${owner.id}`, scopes, staffId: owner.id });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().token;
}

const withToken = (token: string, url: string, body: object) =>
  t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });

describe('cancelling a pending action from the console', () => {
  it('needs a fresh step-up over a browser session; a stale one changes nothing', async () => {
    const { pendingActionId } = await scheduledReset();
    const sup = await staffWithMFA(t, 'supervisor');
    t.clock.advance(6 * 60_000); // the sign-in's step-up is stale now
    const stale = await sup.client.post(`/api/v1/pending-actions/${pendingActionId}/cancel`, { reason: 'caller was verified after all' });
    expect(stale.statusCode, stale.body).toBe(403);
    expect(stale.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(stale.json().code).toBe('step_up_required');
    expect(await statusOf(pendingActionId)).toBe('pending');
    await sup.stepUp();
    const ok = await sup.client.post(`/api/v1/pending-actions/${pendingActionId}/cancel`, { reason: 'caller was verified after all' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ id: pendingActionId, status: 'cancelled', cancelledBy: 'staff' });
  });

  it("refuses a staff member cancelling a change on their own customer account", async () => {
    const me = await staffWithMFA(t, 'supervisor');
    const { pendingActionId } = await scheduledReset(me.email);
    await me.stepUp();
    const own = await me.client.post(`/api/v1/pending-actions/${pendingActionId}/cancel`, { reason: 'that is me, leave it' });
    expect(own.statusCode, own.body).toBe(403);
    expect(own.json().code).toBe('forbidden');
    expect(await statusOf(pendingActionId)).toBe('pending');
  });

  it('an API token needs no step-up, but cannot cancel on the account of whoever created it', async () => {
    const sup = await staffWithMFA(t, 'supervisor');
    const token = await tokenFor(sup, ['mfa:manage']);
    t.clock.advance(6 * 60_000);
    const { pendingActionId } = await scheduledReset();
    const ok = await withToken(token, `/api/v1/pending-actions/${pendingActionId}/cancel`, { reason: 'ticket closed' });
    expect(ok.statusCode, ok.body).toBe(200);
    // The token's creator (the admin) has a customer account with a scheduled change.
    const mine = await scheduledReset(admin.email);
    const own = await withToken(token, `/api/v1/pending-actions/${mine.pendingActionId}/cancel`, { reason: 'for my creator' });
    expect(own.statusCode, own.body).toBe(403);
    expect(own.json().code).toBe('forbidden');
    expect(await statusOf(mine.pendingActionId)).toBe('pending');
  });

  it('answers bad input with problem+json: unknown id 404, missing reason 400, already cancelled 409', async () => {
    const sup = await staffWithMFA(t, 'supervisor');
    await sup.stepUp();
    const unknown = await sup.client.post('/api/v1/pending-actions/pa_nope/cancel', { reason: 'x' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('not_found');
    const { pendingActionId } = await scheduledReset();
    await sup.stepUp();
    const noReason = await sup.client.post(`/api/v1/pending-actions/${pendingActionId}/cancel`, {});
    expect(noReason.statusCode).toBe(400);
    expect(await statusOf(pendingActionId)).toBe('pending');
    expect((await sup.client.post(`/api/v1/pending-actions/${pendingActionId}/cancel`, { reason: 'done' })).statusCode).toBe(200);
    const again = await sup.client.post(`/api/v1/pending-actions/${pendingActionId}/cancel`, { reason: 'done' });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('conflict');
  });
});
