import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff, createTestApp, PASSWORD, signInStaff, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, secretFromBase32, staffWithMFA } from './helpers/mfa.js';
import type { Client } from './helpers/client.js';

// Under policy `required` (and always for supervisors and admins) a person without a factor
// goes from the password straight to an enrollment-only session. Such a session passes no
// step-up, since it may only enroll. Once the owner has enrolled a factor elsewhere, an older
// enrollment-only session opened by whoever knew the password must not go on to add its own
// factor, become a full session with a fresh step-up, and remove the owner's: every enrollment
// ends the person's other enrollment-only sessions.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  const admin = await staffWithMFA(t, 'admin');
  await admin.stepUp();
  expect((await admin.client.put('/api/v1/settings/mfa', { policy: 'required', reason: 'everyone protects their account' })).statusCode).toBe(200);
});
afterAll(async () => {
  await t.close();
});

/** Starts and confirms an authenticator app in a session; returns the confirmation's answer. */
async function addApp(c: Client, me: '/api/v1/me' | '/api/v1/staff-me', started?: { factorId: string; secret: string }) {
  let s = started;
  if (!s) {
    const begin = await c.post(`${me}/mfa/totp`);
    if (begin.statusCode !== 201) return begin;
    s = begin.json() as { factorId: string; secret: string };
  }
  nextStep(t);
  return c.post(`${me}/mfa/totp/${s.factorId}/confirm`, { code: codeFor(t, secretFromBase32(s.secret)), name: 'Not mine' });
}

async function activeFactorNames(kind: 'contact' | 'staff', id: string): Promise<string[]> {
  const rows = await t.ctx.db.selectFrom('mfa_factors').select('name').where('owner_kind', '=', kind).where('owner_id', '=', id).where('status', '=', 'active').execute();
  return rows.map((r) => r.name).sort();
}

describe('an enrollment-only session opened by the password alone', () => {
  it("ends when the customer enrolls elsewhere: it can neither start nor finish adding a factor", async () => {
    const { client, email, id } = await signUpContact(t);
    await client.post('/api/v1/auth/logout');
    const early = t.client();
    expect((await early.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('enrollment_required');
    const late = t.client();
    expect((await late.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('enrollment_required');
    // One of them has begun adding an app before the owner finishes theirs.
    const begun = await late.post('/api/v1/me/mfa/totp');
    expect(begun.statusCode).toBe(201);

    const owner = t.client();
    expect((await owner.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('enrollment_required');
    await enrollTOTP(t, owner, 'contact', 'Phone');

    expect((await early.post('/api/v1/me/mfa/totp')).statusCode).toBe(401);
    expect((await addApp(late, '/api/v1/me', begun.json())).statusCode).toBe(401);
    expect((await early.get('/api/v1/auth/session')).json().state).not.toBe('enrollment_required');
    expect(await activeFactorNames('contact', id)).toEqual(['Phone']);
    // The owner's own session goes on, and the enrollment's audit entry says what it ended.
    expect((await owner.get('/api/v1/me/mfa')).statusCode).toBe(200);
    const entry = await t.ctx.db.selectFrom('audit_events').select('details').where('contact_id', '=', id).where('action', '=', 'mfa.factor.enrolled').executeTakeFirstOrThrow();
    expect(JSON.parse(entry.details!)).toMatchObject({ enrollmentSessionsEnded: 2 });
  });

  it("ends when a supervisor enrolls elsewhere, so it never reaches the console's MFA actions", async () => {
    const sup = await createStaff(t, 'supervisor');
    const early = await signInStaff(t, sup.email);
    expect((await early.get('/api/v1/staff-auth/session')).json().state).toBe('enrollment_required');
    const owner = await signInStaff(t, sup.email);
    await enrollTOTP(t, owner, 'staff', 'Phone');

    expect((await addApp(early, '/api/v1/staff-me')).statusCode).toBe(401);
    expect(await activeFactorNames('staff', sup.id)).toEqual(['Phone']);
  });
});
