import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, secretFromBase32, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import type { Client } from './helpers/client.js';

/**
 * PRODUCT.md §4.4: the factors that existed when a temporary access code was issued are removed
 * when the customer enrolls a new factor in the enrollment-only session that code opened, and
 * in no other session. A code used and then abandoned must not make a later, ordinary
 * enrollment by the owner (signed in with a factor they have) delete their factors.
 */
let t: TestApp;
let sup: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  sup = await staffWithMFA(t, 'supervisor');
});
afterAll(async () => {
  await t.close();
});

async function addTOTP(c: Client, name: string) {
  const start = await c.post('/api/v1/me/mfa/totp');
  expect(start.statusCode, start.body).toBe(201);
  const secret = secretFromBase32(start.json().secret);
  const done = await c.post(`/api/v1/me/mfa/totp/${start.json().factorId}/confirm`, { code: codeFor(t, secret), name });
  expect(done.statusCode, done.body).toBe(200);
  return done;
}

async function issueCode(contactID: string): Promise<string> {
  await sup.stepUp();
  const r = await sup.client.post(`/api/v1/contacts/${contactID}/mfa/temporary-codes`, { reason: 'caller lost phone', verification: { method: 'callback' } });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().code;
}

/** Password, then the temporary code: the enrollment-only session the code opens. */
async function useCode(email: string, code: string): Promise<Client> {
  const c = t.client();
  expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).json().methods).toContain('temporary_code');
  const used = await c.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code });
  expect(used.json().state, used.body).toBe('enrollment_required');
  return c;
}

/** The owner's ordinary sign-in with their authenticator app. */
async function ownerSignsIn(email: string, secret: Buffer): Promise<Client> {
  nextStep(t);
  const o = t.client();
  await o.post('/api/v1/auth/login', { email, password: PASSWORD });
  const v = await o.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, secret) });
  expect(v.json().state, v.body).toBe('authenticated');
  return o;
}

const names = async (c: Client) => ((await c.get('/api/v1/me/mfa')).json().factors as Array<{ name: string }>).map((f) => f.name).sort();

describe('An unfinished temporary-code sign-in', () => {
  it('does not retire the owner\'s factors when the owner later adds one in an ordinary session', async () => {
    const { client, email, id } = await signUpContact(t);
    const phone = await enrollTOTP(t, client, 'contact', 'Owner phone');
    const code = await issueCode(id);
    await useCode(email, code); // and walked away without enrolling

    const o = await ownerSignsIn(email, phone.secret);
    const added = await addTOTP(o, 'Second phone');
    expect(added.json().recoveryCodes).toBeUndefined();
    expect(await names(o)).toEqual(['Owner phone', 'Second phone']);
    const event = (await sup.client.get(`/api/v1/audit-events?contactId=${id}&action=mfa.factor.enrolled`)).json().items[0];
    expect(event.details.retiredFactors).toBe(0);
    // And the owner still signs in with the phone they had.
    await ownerSignsIn(email, phone.secret);
  });

  it('does not retire them either when its session was signed out first', async () => {
    const { client, email, id } = await signUpContact(t);
    const phone = await enrollTOTP(t, client, 'contact', 'Owner phone');
    const code = await issueCode(id);
    const x = await useCode(email, code);
    expect((await x.post('/api/v1/auth/logout')).statusCode).toBeLessThan(300);

    const o = await ownerSignsIn(email, phone.secret);
    await addTOTP(o, 'Second phone');
    expect(await names(o)).toEqual(['Owner phone', 'Second phone']);
  });

  it('a wrong or foreign code opens nothing and marks nothing for retirement', async () => {
    const { client, email, id } = await signUpContact(t);
    const phone = await enrollTOTP(t, client, 'contact', 'Owner phone');
    const other = await signUpContact(t);
    await enrollTOTP(t, other.client);
    const foreign = await issueCode(other.id);
    await issueCode(id);
    const c = t.client();
    await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    for (const code of [foreign, 'AAAAA-AAAAA-AAAAA', '', 'x'.repeat(200)]) {
      const r = await c.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code });
      expect(r.statusCode, r.body).toBeGreaterThanOrEqual(400);
      expect(r.statusCode, r.body).toBeLessThan(500);
    }
    const o = await ownerSignsIn(email, phone.secret);
    await addTOTP(o, 'Second phone');
    expect(await names(o)).toEqual(['Owner phone', 'Second phone']);
  });
});

describe('The session a temporary code opened', () => {
  it('ends when the owner, signed in with a factor they still have, adds one: it retires nothing', async () => {
    const { client, email, id } = await signUpContact(t);
    const phone = await enrollTOTP(t, client, 'contact', 'Owner phone');
    const code = await issueCode(id);
    const x = await useCode(email, code);
    const o = await ownerSignsIn(email, phone.secret);
    await addTOTP(o, 'Second phone');

    // The owner's enrollment served the code's purpose (and showed the owner has a factor):
    // like every other enrollment-only session of theirs, the code's session ends with it.
    expect((await x.post('/api/v1/me/mfa/totp')).statusCode).toBe(401);
    expect(await names(o)).toEqual(['Owner phone', 'Second phone']);
  });

  it('during a required enrollment retires both the factors staff named and those of the code\'s issue', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client, 'contact', 'Old phone');
    const code = await issueCode(id);
    await sup.stepUp();
    expect((await sup.client.post(`/api/v1/contacts/${id}/mfa/require-enrollment`, { reason: 'suspicious sign-ins' })).statusCode).toBe(200);
    const x = await useCode(email, code);
    await addTOTP(x, 'New phone');
    expect(await names(x)).toEqual(['New phone']);
    expect((await sup.client.get(`/api/v1/contacts/${id}/mfa`)).json().enrollmentRequired).toBe(false);
  });
});
