import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// A temporary access code stands in for the second step once (PRODUCT.md §4.4); a customer
// without a factor has no second step (§3) and signs in with the password alone (or, under
// policy `required`, goes from the password straight to enrollment). A code issued for such a
// customer made their password stop working on its own, for up to 72 hours, with only the
// caller who asked for it holding the way in. Staff are now told there is nothing for a code to
// stand in for, and a code left over from when the customer had a factor asks for nothing.

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

async function setPolicy(policy: 'optional' | 'required') {
  await admin.stepUp();
  expect((await admin.client.put('/api/v1/settings/mfa', { policy, reason: 'test' })).statusCode).toBe(200);
}

describe('a temporary access code for a customer without a factor', () => {
  it('is refused with 409: nothing issued, audited or emailed, and the password alone still signs in', async () => {
    const { email, id } = await signUpContact(t);
    await sup.stepUp();
    const r = await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'caller says locked out', verification: { method: 'callback' } });
    expect(r.statusCode, r.body).toBe(409);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.json()).toMatchObject({ code: 'conflict' });
    expect(r.json().detail).toMatch(/no second step/);
    expect(await t.ctx.db.selectFrom('temporary_codes').select('id').where('owner_id', '=', id).execute()).toEqual([]);
    expect(await t.ctx.db.selectFrom('audit_events').select('id').where('contact_id', '=', id).where('action', 'like', 'mfa.temporary_code%').execute()).toEqual([]);
    // The outbox holds every email the moment its change commits, sent or not.
    const subjects = (await t.ctx.db.selectFrom('outbox').select('subject').where('recipient', '=', email).execute()).map((m) => m.subject);
    expect(subjects).toContain('Confirm your email address');
    expect(subjects.filter((s) => /temporary access code/i.test(s))).toEqual([]);
    expect((await t.client().post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('authenticated');
  });

  it('left over from when the customer had a factor, asks for nothing once the customer removed it', async () => {
    const { client, email, id } = await signUpContact(t);
    const phone = await enrollTOTP(t, client, 'contact', 'Phone');
    await sup.stepUp();
    expect((await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'caller says locked out', verification: { method: 'callback' } })).statusCode).toBe(201);
    // The customer, signed in, removes their only factor (optional policy).
    nextStep(t);
    expect((await client.post('/api/v1/auth/step-up', { method: 'totp', code: codeFor(t, phone.secret) })).statusCode).toBe(200);
    expect((await client.delete(`/api/v1/me/mfa/factors/${phone.factorId}`)).statusCode).toBe(204);

    expect((await t.client().post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('authenticated');
    // Under `required`, the password leads straight to enrollment, as for anyone without a factor.
    await setPolicy('required');
    try {
      expect((await t.client().post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('enrollment_required');
    } finally {
      await setPolicy('optional');
    }
  });

  it('is still issued after a reset that requires a new setup, and offered with the setup link', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    await sup.stepUp();
    expect((await sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'lost phone', verification: { method: 'callback' } })).statusCode).toBe(200);
    const r = await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'setup email never arrived', verification: { method: 'callback' } });
    expect(r.statusCode, r.body).toBe(201);
    const c = t.client();
    expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).json()).toMatchObject({ state: 'mfa_required', methods: ['setup_link', 'temporary_code'] });
    expect((await c.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code: r.json().code })).json().state).toBe('enrollment_required');
  });
});
