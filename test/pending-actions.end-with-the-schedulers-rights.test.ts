import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { runDuePendingActions } from '../src/recovery/pending-actions.js';

// A change scheduled through the waiting period must not outlive the authority of whoever
// scheduled it: a supervisor who is deactivated (say, caught working with an impostor) or moved
// to agent leaves no reset or temporary access code behind to take effect later.

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

async function scheduled(sup: StaffWithMFA) {
  const reset = await signUpContact(t);
  await enrollTOTP(t, reset.client);
  const temp = await signUpContact(t);
  await enrollTOTP(t, temp.client);
  await sup.stepUp();
  const r = await sup.client.post(`/api/v1/contacts/${reset.id}/mfa/reset`, { reason: 'caller lost phone' });
  expect(r.statusCode, r.body).toBe(202);
  const c = await sup.client.post(`/api/v1/contacts/${temp.id}/mfa/temporary-codes`, { reason: 'caller locked out' });
  expect(c.statusCode, c.body).toBe(202);
  return { reset, temp, code: c.json().code as string, ids: [r.json().pendingActionId as string, c.json().pendingActionId as string] };
}

/** A day later: `applied` other actions run, and those of `s` were cancelled and stay so. */
async function afterTheWait(s: Awaited<ReturnType<typeof scheduled>>, applied = 0) {
  t.clock.advance(24 * 3600_000 + 1000);
  expect(await runDuePendingActions(t.ctx)).toBe(applied);
  const rows = await t.ctx.db.selectFrom('pending_actions').select(['id', 'status', 'cancelled_by']).where('id', 'in', s.ids).execute();
  expect(rows.map((r) => [r.status, r.cancelled_by])).toEqual([
    ['cancelled', 'system'],
    ['cancelled', 'system'],
  ]);
  // The reset never happened, and the temporary code never works.
  const owner = t.client();
  expect((await owner.post('/api/v1/auth/login', { email: s.reset.email, password: PASSWORD })).json().state).toBe('mfa_required');
  const attacker = t.client();
  await attacker.post('/api/v1/auth/login', { email: s.temp.email, password: PASSWORD });
  expect((await attacker.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code: s.code })).json().code).toBe('invalid_code');
  const audit = await t.ctx.db.selectFrom('audit_events').select(['actor_type', 'details']).where('action', '=', 'mfa.pending_action.cancelled').where('contact_id', 'in', [s.reset.id, s.temp.id]).execute();
  expect(audit).toHaveLength(2);
  for (const a of audit) expect(a.actor_type).toBe('system');
}

describe('scheduled MFA changes', () => {
  it('cancelled with the rights of whoever scheduled them are announced to each customer', async () => {
    admin = await staffWithMFA(t, 'admin');
    const sup = await staffWithMFA(t, 'supervisor');
    const s = await scheduled(sup);
    await admin.stepUp();
    expect((await admin.client.patch(`/api/v1/staff/${sup.id}`, { active: false })).statusCode).toBe(200);
    for (const who of [s.reset, s.temp]) {
      const mail = await t.mail.waitFor(who.email, 'A scheduled change to your two-step verification was cancelled');
      expect(mail.text).toContain('can no longer make it');
      expect(mail.text).toContain('Nothing changes on your account');
    }
  });

  it('are cancelled when the supervisor who scheduled them is deactivated', async () => {
    admin = await staffWithMFA(t, 'admin');
    const sup = await staffWithMFA(t, 'supervisor');
    const s = await scheduled(sup);
    await admin.stepUp();
    const r = await admin.client.patch(`/api/v1/staff/${sup.id}`, { active: false });
    expect(r.statusCode, r.body).toBe(200);
    const entry = await t.ctx.db.selectFrom('audit_events').select('details').where('action', '=', 'staff.deactivated').where('staff_id', '=', sup.id).executeTakeFirstOrThrow();
    expect(JSON.parse(entry.details!)).toMatchObject({ pendingActionsCancelled: 2 });
    await afterTheWait(s);
  });

  it('are cancelled when the supervisor is moved to agent, and kept when moved to admin', async () => {
    admin = await staffWithMFA(t, 'admin');
    const kept = await staffWithMFA(t, 'supervisor');
    const keptActions = await scheduled(kept);
    await admin.stepUp();
    expect((await admin.client.patch(`/api/v1/staff/${kept.id}`, { role: 'admin' })).statusCode).toBe(200);
    const still = await t.ctx.db.selectFrom('pending_actions').select('status').where('id', 'in', keptActions.ids).execute();
    expect(still.map((r) => r.status)).toEqual(['pending', 'pending']);

    const sup = await staffWithMFA(t, 'supervisor');
    const s = await scheduled(sup);
    await admin.stepUp();
    expect((await admin.client.patch(`/api/v1/staff/${sup.id}`, { role: 'agent' })).statusCode).toBe(200);
    // The promoted admin's two actions fall due too, and do happen.
    await afterTheWait(s, 2);
  });

  it('are cancelled when the admin who made the API token that scheduled them is deactivated', async () => {
    admin = await staffWithMFA(t, 'admin');
    // The token acts in a supervisor's name; its maker is an admin who is then deactivated.
    const maker = await staffWithMFA(t, 'admin');
    const sup = await staffWithMFA(t, 'supervisor');
    await maker.stepUp();
    const made = await maker.client.post('/api/v1/api-tokens', { name: 'for the help desk', scopes: ['mfa:manage'], staffId: sup.id });
    expect(made.statusCode, made.body).toBe(201);
    const call = (url: string, body: object) =>
      t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${made.json().token}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    const reset = await signUpContact(t);
    await enrollTOTP(t, reset.client);
    const temp = await signUpContact(t);
    await enrollTOTP(t, temp.client);
    const r = await call(`/api/v1/contacts/${reset.id}/mfa/reset`, { reason: 'caller lost phone' });
    expect(r.statusCode, r.body).toBe(202);
    const c = await call(`/api/v1/contacts/${temp.id}/mfa/temporary-codes`, { reason: 'caller locked out' });
    expect(c.statusCode, c.body).toBe(202);
    await admin.stepUp();
    expect((await admin.client.patch(`/api/v1/staff/${maker.id}`, { active: false })).statusCode).toBe(200);
    await afterTheWait({ reset, temp, code: c.json().code, ids: [r.json().pendingActionId, c.json().pendingActionId] });
    const entry = await t.ctx.db.selectFrom('audit_events').select('details').where('action', '=', 'staff.deactivated').where('staff_id', '=', maker.id).executeTakeFirstOrThrow();
    expect(JSON.parse(entry.details!)).toMatchObject({ tokensRevoked: 1, pendingActionsCancelled: 2 });
  });
});
