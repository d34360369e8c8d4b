import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, type TestApp } from './helpers/app.js';
import { seedEnrolledContacts } from './helpers/seed.js';
import { MailSink } from './helpers/mail-sink.js';
import type { Client } from './helpers/client.js';
import { generateID } from '../src/crypto/random.js';
import { generateRecoveryCode, hashRecoveryCode } from '../src/mfa/recovery-codes.js';
import { HARD_LOCK_AT } from '../src/mfa/lockout.js';

/**
 * PRODUCT.md §7: all of a customer's sessions end on a password reset and on a password change,
 * and a password reset lifts the hard second-step lock; a race ends in one of the serial orders.
 * A reset (or change) ends the person's sessions, and a reset writes their MFA state row; a
 * passed second step of another of their sign-ins writes that row, then moves its session to a
 * new id. Taken in opposite orders, the two deadlock on PostgreSQL and the loser is answered 409
 * (a sign-in whose code was already spent, or a reset whose link the person must ask again).
 * Here each contact's second step races their own password reset by link, or a password change
 * in another of their sessions, over rounds that start the two at different moments, once with
 * no failures on the account and once where the right code is the 100th check in a row (the
 * check sets the hard lock as it is taken, and the right code lifts it, so the row the reset
 * lifts is held by the sign-in). Every request ends as it would in a serial order: the reset or
 * change succeeds, the second step passes (200) or finds its sign-in ended (401); afterwards no
 * other session is alive and the account is never left hard-locked.
 */

const ROUNDS = 10;
const CONTACTS = 8;
const NEW_PASSWORD = 'a brand new password for the race';

let t: TestApp;
const problems: string[] = [];
let codeA: string;
let codeB: string;
let hashA: string;
let hashB: string;
beforeAll(async () => {
  const log = pino({ level: 'warn' }, { write: (line: string) => void problems.push(line) }) as unknown as FastifyBaseLogger;
  t = await createTestApp({ runJobs: false, log });
  codeA = generateRecoveryCode();
  codeB = generateRecoveryCode();
  [hashA, hashB] = await Promise.all([hashRecoveryCode(codeA), hashRecoveryCode(codeB)]);
});
afterAll(async () => {
  await t.close();
});

interface Contact {
  id: string;
  email: string;
}

/** Contacts with an authenticator app and two known recovery codes each. */
async function contacts(): Promise<Contact[]> {
  const ids = await seedEnrolledContacts(t.ctx, CONTACTS);
  const now = t.clock.now().toISOString();
  await t.ctx.db
    .insertInto('recovery_codes')
    .values(ids.flatMap((id) => [hashA, hashB].map((h) => ({ id: generateID('rc'), owner_kind: 'contact' as const, owner_id: id, code_hash: h, created_at: now, used_at: null }))))
    .execute();
  return t.ctx.db.selectFrom('contacts').select(['id', 'email']).where('id', 'in', ids).execute();
}

/** A sign-in that passed the password and waits for its second step, its CSRF token fetched. */
async function pendingSignIn(email: string): Promise<Client> {
  const c = t.client();
  const login = await c.post('/api/v1/auth/login', { email, password: PASSWORD });
  expect(login.json().state, login.body).toBe('mfa_required');
  c.headers['x-csrf-token'] = await c.csrfToken('/api/v1/auth/mfa/verify');
  return c;
}

/** The account's failure run, as if its owner's last codes were wrong. */
async function setFailures(ids: string[], failures: number): Promise<void> {
  const now = t.clock.now().toISOString();
  for (const id of ids) {
    await t.ctx.db
      .insertInto('mfa_accounts')
      .values({ owner_kind: 'contact', owner_id: id, failures, locked_until: null, retire_factor_ids: null, updated_at: now })
      .onConflict((oc) => oc.columns(['owner_kind', 'owner_id']).doUpdateSet({ failures, hard_locked: 0, locked_until: null }))
      .execute();
  }
}

async function expectSerialEnd(ids: string[], keep: Map<string, Client>, why: string): Promise<void> {
  const now = t.clock.now().toISOString();
  const db = t.ctx.db;
  const live = await db.selectFrom('sessions').select(['subject_id', 'id_hash']).where('kind', '=', 'contact').where('subject_id', 'in', ids).where('expires_at', '>', now).execute();
  // A reset leaves no session; a change leaves only the changing browser's (under its new id).
  expect(live.map((s) => s.subject_id).sort(), why).toEqual([...keep.keys()].sort());
  for (const c of keep.values()) expect((await c.get('/api/v1/auth/session')).json().state, why).toBe('authenticated');
  const locked = await db.selectFrom('mfa_accounts').select('owner_id').where('owner_kind', '=', 'contact').where('owner_id', 'in', ids).where('hard_locked', '=', 1).execute();
  expect(locked, why).toEqual([]);
  expect(problems, problems.join('\n')).toEqual([]);
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * When each pair's two requests start, apart: from the second step 150 ms ahead (it checks its
 * code before its transaction, so it needs the head start to meet the other side's) to 150 ms
 * behind, a different spread each round.
 */
const offset = (round: number, i: number) => (((round * CONTACTS + i) * 7) % 300) - 150;

/** Runs `a` and `b` with `b` starting `ms` later (earlier when negative). */
function apart<A, B>(ms: number, a: () => Promise<A>, b: () => Promise<B>): Promise<[A, B]> {
  return Promise.all([wait(Math.max(0, -ms)).then(a), wait(Math.max(0, ms)).then(b)]);
}

describe('a password reset by link racing a second step of the same person', () => {
  for (const failuresBefore of [0, HARD_LOCK_AT - 1]) {
    it(`${failuresBefore ? 'when the right code is the 100th check in a row' : 'with no failures'}: both end as in a serial order, ${ROUNDS} rounds`, async () => {
      const answers: Record<number, number> = {};
      for (let round = 0; round < ROUNDS; round++) {
        const people = await contacts();
        await Promise.all(people.map((p) => t.client().post('/api/v1/auth/password/forgot', { email: p.email })));
        const tokens = await Promise.all(people.map(async (p) => MailSink.token(await t.mail.waitFor(p.email, 'Reset your password'), '/reset-password')));
        const pending = await Promise.all(people.map((p) => pendingSignIn(p.email)));
        await setFailures(people.map((p) => p.id), failuresBefore);
        const results = await Promise.all(
          people.map(async (_, i) => {
            const [reset, verify] = await apart(
              offset(round, i),
              () => t.client().post('/api/v1/auth/password/reset', { token: tokens[i], password: NEW_PASSWORD }),
              () => pending[i].post('/api/v1/auth/mfa/verify', { method: 'recovery_code', code: codeA }),
            );
            return { reset, verify };
          }),
        );
        for (const { reset, verify } of results) {
          expect(reset.statusCode, `round ${round}: reset ${reset.body}`).toBe(200);
          expect([200, 401], `round ${round}: second step ${verify.body}`).toContain(verify.statusCode);
          answers[verify.statusCode] = (answers[verify.statusCode] ?? 0) + 1;
        }
        await expectSerialEnd(people.map((p) => p.id), new Map(), `round ${round}`);
      }
      console.log(`password reset racing second steps (${failuresBefore} failures before): second-step answers`, answers);
    });
  }
});

describe('a password change racing a second step of another session of the same person', () => {
  for (const failuresBefore of [0, HARD_LOCK_AT - 1]) {
    it(`${failuresBefore ? 'when the right code is the 100th check in a row' : 'with no failures'}: both end as in a serial order, ${ROUNDS} rounds`, async () => {
      const answers: Record<number, number> = {};
      for (let round = 0; round < ROUNDS; round++) {
        const people = await contacts();
        // A fully signed-in session (second step just passed, so its step-up is fresh) per contact.
        const signedIn = await Promise.all(
          people.map(async (p) => {
            const c = await pendingSignIn(p.email);
            const r = await c.post('/api/v1/auth/mfa/verify', { method: 'recovery_code', code: codeB });
            expect(r.json().state, r.body).toBe('authenticated');
            c.headers['x-csrf-token'] = await c.csrfToken('/api/v1/me/password');
            return c;
          }),
        );
        const pending = await Promise.all(people.map((p) => pendingSignIn(p.email)));
        await setFailures(people.map((p) => p.id), failuresBefore);
        const results = await Promise.all(
          people.map(async (_, i) => {
            const [change, verify] = await apart(
              offset(round, i),
              () => signedIn[i].post('/api/v1/me/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
              () => pending[i].post('/api/v1/auth/mfa/verify', { method: 'recovery_code', code: codeA }),
            );
            return { change, verify };
          }),
        );
        for (const [i, { change, verify }] of results.entries()) {
          expect(change.statusCode, `round ${round}: change ${change.body}`).toBe(200);
          expect([200, 401], `round ${round}: second step ${verify.body}`).toContain(verify.statusCode);
          answers[verify.statusCode] = (answers[verify.statusCode] ?? 0) + 1;
          delete signedIn[i].headers['x-csrf-token'];
        }
        await expectSerialEnd(people.map((p) => p.id), new Map(people.map((p, i) => [p.id, signedIn[i]])), `round ${round}`);
      }
      console.log(`password change racing second steps (${failuresBefore} failures before): second-step answers`, answers);
    });
  }
});
