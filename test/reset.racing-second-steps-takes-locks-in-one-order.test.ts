import { beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { useRacingApp } from './helpers/racing-app.js';
import { seedEnrolledContacts } from './helpers/seed.js';
import type { Client } from './helpers/client.js';
import { generateID } from '../src/crypto/random.js';
import { generateRecoveryCode, hashRecoveryCode } from '../src/mfa/recovery-codes.js';
import { BulkRunner } from '../src/recovery/bulk.js';

/**
 * PRODUCT.md §7 ("a bulk job and a sign-in — the result is always one of the serial orders;
 * nothing half-done"): a reset, bulk or single, and the second steps of the same contacts take
 * their row locks in one order (factor, MFA state, sessions), so on PostgreSQL they queue behind
 * each other instead of deadlocking. A deadlock rolled back either side: the batch, redone one
 * contact at a time, or the sign-in, answered 409 "try again" after its recovery code had been
 * spent. Here many contacts pass their second step with a recovery code while their reset
 * runs, over rounds that start the reset at different moments: every sign-in is let in before
 * the reset (200) or refused after it (400, 401), no batch is redone, and afterwards no contact
 * has a session, factor or recovery code, each reset exactly once.
 */

const ROUNDS = 8;
const CONTACTS = 30;

const race = useRacingApp();
const { problems } = race;
let t: TestApp;
let admin: StaffWithMFA;
beforeAll(() => {
  ({ t, admin } = race);
});

/** Contacts with an authenticator app and one known recovery code each, waiting for their second step. */
async function pendingSignIns(code: string, hash: string): Promise<Array<{ id: string; email: string; client: Client }>> {
  const ids = await seedEnrolledContacts(t.ctx, CONTACTS);
  const now = t.clock.now().toISOString();
  await t.ctx.db.insertInto('recovery_codes').values(ids.map((id) => ({ id: generateID('rc'), owner_kind: 'contact' as const, owner_id: id, code_hash: hash, created_at: now, used_at: null }))).execute();
  const rows = await t.ctx.db.selectFrom('contacts').select(['id', 'email']).where('id', 'in', ids).execute();
  return Promise.all(
    rows.map(async ({ id, email }) => {
      const client = t.client();
      const login = await client.post('/api/v1/auth/login', { email, password: PASSWORD });
      expect(login.json().state).toBe('mfa_required');
      client.headers['x-csrf-token'] = await client.csrfToken('/api/v1/auth/mfa/verify');
      void code;
      return { id, email, client };
    }),
  );
}

async function expectResetOnceAndNothingLeft(ids: string[]) {
  const now = t.clock.now().toISOString();
  const db = t.ctx.db;
  expect(await db.selectFrom('sessions').select('id_hash').where('kind', '=', 'contact').where('subject_id', 'in', ids).where('expires_at', '>', now).execute()).toEqual([]);
  expect(await db.selectFrom('mfa_factors').select('id').where('owner_kind', '=', 'contact').where('owner_id', 'in', ids).execute()).toEqual([]);
  expect(await db.selectFrom('recovery_codes').select('id').where('owner_kind', '=', 'contact').where('owner_id', 'in', ids).execute()).toEqual([]);
  const resets = await db.selectFrom('audit_events').select('contact_id').where('action', '=', 'mfa.reset').where('contact_id', 'in', ids).execute();
  expect(resets.map((r) => r.contact_id).sort()).toEqual([...ids].sort());
}

describe('a reset and its contacts’ second steps take their locks in one order', () => {
  it(`a bulk batch against ${CONTACTS} recovery-code sign-ins, ${ROUNDS} rounds`, async () => {
    const code = generateRecoveryCode();
    const hash = await hashRecoveryCode(code);
    const answers: Record<number, number> = {};
    problems.length = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const racers = await pendingSignIns(code, hash);
      await admin.stepUp();
      const created = await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { emails: racers.map((r) => r.email) }, reason: `drill ${round}` });
      expect(created.statusCode, created.body).toBe(202);
      const batch = new Promise((resolve) => setTimeout(resolve, round * 40)).then(() => new BulkRunner(t.ctx).runOnce());
      const [, ...results] = await Promise.all([batch, ...racers.map((r) => r.client.post('/api/v1/auth/mfa/verify', { method: 'recovery_code', code }))]);
      for (const r of results) {
        answers[r.statusCode] = (answers[r.statusCode] ?? 0) + 1;
        expect([200, 400, 401], r.body).toContain(r.statusCode);
      }
      expect(problems, problems.join('\n')).toEqual([]);
      expect((await admin.client.get(`/api/v1/mfa/bulk-resets/${created.json().id}`)).json()).toMatchObject({ status: 'completed', done: CONTACTS, failed: 0 });
      await expectResetOnceAndNothingLeft(racers.map((r) => r.id));
    }
    console.log('bulk batch racing recovery-code sign-ins: answers', answers);
  });

  it(`staff resets against ${CONTACTS} recovery-code sign-ins, ${ROUNDS} rounds`, async () => {
    const code = generateRecoveryCode();
    const hash = await hashRecoveryCode(code);
    const sup = await staffWithMFA(t, 'supervisor');
    const answers: Record<number, number> = {};
    problems.length = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const racers = await pendingSignIns(code, hash);
      await sup.stepUp();
      sup.client.headers['x-csrf-token'] = await sup.client.csrfToken(`/api/v1/contacts/${racers[0].id}/mfa/reset`);
      const delay = round * 40;
      const resets = racers.map((r) => new Promise((resolve) => setTimeout(resolve, delay)).then(() => sup.client.post(`/api/v1/contacts/${r.id}/mfa/reset`, { reason: `race ${round}` })));
      const results = await Promise.all([...resets, ...racers.map((r) => r.client.post('/api/v1/auth/mfa/verify', { method: 'recovery_code', code }))]);
      for (const [i, r] of results.entries()) {
        if (i < CONTACTS) {
          expect(r.statusCode, r.body).toBe(200);
          continue;
        }
        answers[r.statusCode] = (answers[r.statusCode] ?? 0) + 1;
        expect([200, 400, 401], r.body).toContain(r.statusCode);
      }
      expect(problems, problems.join('\n')).toEqual([]);
      await expectResetOnceAndNothingLeft(racers.map((r) => r.id));
    }
    console.log('staff resets racing recovery-code sign-ins: answers', answers);
  });
});
