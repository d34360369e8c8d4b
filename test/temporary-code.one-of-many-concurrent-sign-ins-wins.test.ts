import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, oneAfterAnother, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

/**
 * PRODUCT.md §4.4 and §7: a temporary access code stands in for the second step once. Several
 * sign-ins using one code at the same moment: exactly one gets the enrollment-only session, the
 * others a refusal (a wrong code, or 429 once the account's limit is reached), and the code is
 * recorded used once, by that session, with one audit entry and one email. Many rounds of real
 * concurrent requests; the race is real on PostgreSQL.
 */

const ROUNDS = 12;
const PARALLEL = 6;

let t: TestApp;
let sup: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  sup = await staffWithMFA(t, 'supervisor');
});
afterAll(async () => {
  await t.close();
});

describe('a temporary code used by sign-ins at once', () => {
  it(`lets exactly one of ${PARALLEL} through, ${ROUNDS} rounds`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { client, email, id } = await signUpContact(t);
      await enrollTOTP(t, client);
      await sup.stepUp();
      const issued = await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: `race ${round}` });
      expect(issued.statusCode, issued.body).toBe(201);
      const { code } = issued.json();
      const clients = await oneAfterAnother(PARALLEL, async () => {
        const c = t.client();
        expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).json().methods).toContain('temporary_code');
        c.headers['x-csrf-token'] = await c.csrfToken('/api/v1/auth/mfa/verify');
        return c;
      });
      const results = await Promise.all(clients.map((c) => c.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code })));
      const why = results.map((r) => `${r.statusCode} ${r.body}`).join('\n');
      const winners = results.filter((r) => r.statusCode === 200);
      expect(winners, why).toHaveLength(1);
      expect(winners[0].json().state).toBe('enrollment_required');
      for (const r of results.filter((x) => x.statusCode !== 200)) expect([400, 429], why).toContain(r.statusCode);
      const db = t.ctx.db;
      const codes = await db.selectFrom('temporary_codes').select(['used_at', 'session_hash']).where('owner_kind', '=', 'contact').where('owner_id', '=', id).execute();
      expect(codes).toHaveLength(1);
      expect(codes[0].used_at).not.toBeNull();
      const sessions = await db.selectFrom('sessions').select(['id_hash', 'level']).where('kind', '=', 'contact').where('subject_id', '=', id).where('level', '!=', 'mfa').where('expires_at', '>', t.clock.now().toISOString()).execute();
      // The enrolling browser's old session plus the one enrollment-only session, which the code names.
      const enrollOnly = sessions.filter((s) => s.level === 'enrollment');
      expect(enrollOnly).toHaveLength(1);
      expect(codes[0].session_hash).toBe(enrollOnly[0].id_hash);
      expect(await db.selectFrom('audit_events').select('seq').where('contact_id', '=', id).where('action', '=', 'mfa.temporary_code.used').execute()).toHaveLength(1);
      expect(await db.selectFrom('outbox').select('seq').where('recipient', '=', email).where('subject', '=', 'A temporary access code was used on your account').execute()).toHaveLength(1);
      // Used up: a later sign-in cannot use it.
      const late = t.client();
      await late.post('/api/v1/auth/login', { email, password: PASSWORD });
      expect((await late.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code })).statusCode).not.toBe(200);
      t.clock.advance(16 * 60_000);
    }
  });
});
