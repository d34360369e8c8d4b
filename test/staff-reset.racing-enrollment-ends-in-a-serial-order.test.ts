import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, secretFromBase32, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import type { Client } from './helpers/client.js';
import { SoftKey } from './helpers/soft-key.js';

/**
 * PRODUCT.md §7: a staff MFA reset racing a customer's enrollment (an authenticator app's
 * confirmation, a passkey's registration) ends in one of the serial orders. The reset ends every
 * session of the customer, so an enrollment serialized after it has no session left to enroll
 * from: whatever the order, the account ends with no factor, no recovery code, setup required
 * and no session; and the reset's report counts the factor exactly when the enrollment went
 * first. Never a factor (or recovery codes) left on an account whose reset reported it had
 * removed everything. Many rounds of real concurrent HTTP requests; the race is real on
 * PostgreSQL.
 */

const ROUNDS = 15;

let t: TestApp;
let sup: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  sup = await staffWithMFA(t, 'supervisor');
});
afterAll(async () => {
  await t.close();
});

/** What the database holds for the contact, read past the API (the panel hides codes without a factor). */
async function rows(id: string) {
  const db = t.ctx.db;
  const factors = await db.selectFrom('mfa_factors').select(['id', 'status']).where('owner_kind', '=', 'contact').where('owner_id', '=', id).execute();
  const codes = await db.selectFrom('recovery_codes').select('id').where('owner_kind', '=', 'contact').where('owner_id', '=', id).execute();
  const state = await db.selectFrom('mfa_accounts').selectAll().where('owner_kind', '=', 'contact').where('owner_id', '=', id).executeTakeFirst();
  const sessions = await db.selectFrom('sessions').select('id_hash').where('kind', '=', 'contact').where('subject_id', '=', id).where('expires_at', '>', t.clock.now().toISOString()).execute();
  const setupLinks = await db.selectFrom('email_tokens').select('token_hash').where('purpose', '=', 'mfa_setup').where('subject_kind', '=', 'contact').where('subject_id', '=', id).where('used_at', 'is', null).execute();
  const audit = await db.selectFrom('audit_events').select(['action', 'details']).where('contact_id', '=', id).where('action', 'in', ['mfa.reset', 'mfa.factor.enrolled']).orderBy('seq').execute();
  return { active: factors.filter((f) => f.status === 'active').length, factors: factors.length, codes: codes.length, setupRequired: state?.setup_required === 1, sessions: sessions.length, setupLinks: setupLinks.length, audit };
}

/** Checks the outcome of one round: one of the two serial orders, nothing half-done. */
async function expectSerialOutcome(id: string, client: Client, enroll: { statusCode: number; body: string }, reset: { statusCode: number; body: string; json(): Record<string, unknown> }) {
  expect(reset.statusCode, reset.body).toBe(200);
  // Enrollment first (it succeeded, the reset then removed it) or the reset first (the
  // enrollment found its session ended or its pending factor gone): a refusal, never a 500.
  expect([200, 201, 401, 404, 409], enroll.body).toContain(enroll.statusCode);
  const enrolledFirst = enroll.statusCode === 200 || enroll.statusCode === 201;
  const r = await rows(id);
  expect(r, JSON.stringify({ enroll: enroll.body, reset: reset.body })).toMatchObject({ active: 0, factors: 0, codes: 0, setupRequired: true, sessions: 0, setupLinks: 1 });
  expect(reset.json()).toMatchObject({ factorsRemoved: enrolledFirst ? 1 : 0, recoveryCodesRemoved: enrolledFirst ? 10 : 0, enrollmentRequired: true });
  // The audit log tells the same order: an enrollment only when it succeeded, and before the reset.
  expect(r.audit.map((a) => a.action)).toEqual(enrolledFirst ? ['mfa.factor.enrolled', 'mfa.reset'] : ['mfa.reset']);
  expect((await client.get('/api/v1/auth/session')).json().state).toBe('anonymous');
  return enrolledFirst;
}

describe('a staff MFA reset racing an enrollment ends in a serial order', () => {
  it(`authenticator app confirmation against a reset, ${ROUNDS} rounds`, async () => {
    const orders = { enrolledFirst: 0, resetFirst: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const { client, id } = await signUpContact(t);
      const start = await client.post('/api/v1/me/mfa/totp');
      expect(start.statusCode, start.body).toBe(201);
      const secret = secretFromBase32(start.json().secret);
      client.headers['x-csrf-token'] = await client.csrfToken('/api/v1/me/mfa/totp');
      await sup.stepUp();
      sup.client.headers['x-csrf-token'] = await sup.client.csrfToken(`/api/v1/contacts/${id}/mfa/reset`);
      const code = codeFor(t, secret);
      const [enroll, reset] = await Promise.all([
        client.post(`/api/v1/me/mfa/totp/${start.json().factorId}/confirm`, { code, name: `Phone ${round}` }),
        sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: `race ${round}` }),
      ]);
      orders[(await expectSerialOutcome(id, client, enroll, reset)) ? 'enrolledFirst' : 'resetFirst']++;
    }
    expect(orders.enrolledFirst + orders.resetFirst).toBe(ROUNDS);
  });

  it(`passkey registration against a reset, ${ROUNDS} rounds`, async () => {
    const orders = { enrolledFirst: 0, resetFirst: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const { client, id } = await signUpContact(t);
      const key = new SoftKey(t.config.publicURL);
      const options = await client.post('/api/v1/me/mfa/webauthn/options');
      expect(options.statusCode, options.body).toBe(200);
      client.headers['x-csrf-token'] = await client.csrfToken('/api/v1/me/mfa/webauthn');
      await sup.stepUp();
      sup.client.headers['x-csrf-token'] = await sup.client.csrfToken(`/api/v1/contacts/${id}/mfa/reset`);
      const response = key.create(options.json());
      const [enroll, reset] = await Promise.all([
        client.post('/api/v1/me/mfa/webauthn', { response, name: `Key ${round}` }),
        sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: `race ${round}` }),
      ]);
      orders[(await expectSerialOutcome(id, client, enroll, reset)) ? 'enrolledFirst' : 'resetFirst']++;
    }
    expect(orders.enrolledFirst + orders.resetFirst).toBe(ROUNDS);
  });

  it(`an enrollment through the reset's setup link against a second reset, ${ROUNDS} rounds`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { client, email, id } = await signUpContact(t);
      await sup.stepUp();
      expect((await sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: `first ${round}` })).statusCode).toBe(200);
      const link = await t.mail.waitFor(email, 'Your two-step verification was reset');
      const token = new URL(link.text.match(/https?:\/\/\S+\/setup-mfa\?token=\S+/)![0]).searchParams.get('token')!;
      const c = t.client();
      expect((await c.post('/api/v1/auth/login', { email, password: 'correct horse battery' })).json().state).toBe('mfa_required');
      expect((await c.post('/api/v1/auth/setup-link', { token })).json().state).toBe('enrollment_required');
      const key = new SoftKey(t.config.publicURL);
      const options = await c.post('/api/v1/me/mfa/webauthn/options');
      expect(options.statusCode, options.body).toBe(200);
      c.headers['x-csrf-token'] = await c.csrfToken('/api/v1/me/mfa/webauthn');
      await sup.stepUp();
      sup.client.headers['x-csrf-token'] = await sup.client.csrfToken(`/api/v1/contacts/${id}/mfa/reset`);
      const [enroll, reset] = await Promise.all([
        c.post('/api/v1/me/mfa/webauthn', { response: key.create(options.json()) }),
        sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: `second ${round}` }),
      ]);
      expect(reset.statusCode, reset.body).toBe(200);
      expect([201, 401, 404, 409], enroll.body).toContain(enroll.statusCode);
      const r = await rows(id);
      expect(r, JSON.stringify({ enroll: enroll.body, reset: reset.body })).toMatchObject({ active: 0, factors: 0, codes: 0, setupRequired: true, sessions: 0, setupLinks: 1 });
      expect(reset.json().factorsRemoved).toBe(enroll.statusCode === 201 ? 1 : 0);
      expect((await c.get('/api/v1/auth/session')).json().state).toBe('anonymous');
      void client;
    }
  });
});
