import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestApp, dialectUnderTest, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA } from './helpers/mfa.js';
import { MailSink } from './helpers/mail-sink.js';
import { holdLock, settled, waitForLockWaits } from './helpers/pg-locks.js';
import * as accounts from '../src/accounts/service.js';
import { HARD_LOCK_AT, LOCK_EVERY } from '../src/mfa/lockout.js';

// A password reset is how a person whose second step is hard-locked (100 wrong codes) gets back
// in, and lifting that lock writes their MFA state row. The reset took the person's row first,
// then that state row; a sign-in takes the person's MFA lock and state row first (holding them
// while it decides the second step), then the person. On PostgreSQL the two orders deadlocked,
// exactly in the case the reset exists for, and the loser was answered 409: the reset, or the
// sign-in. The reset now takes the MFA lock and state row right after its link, before the
// person, as the sign-in and every staff change do.
//
// And whichever waits, the outcome is one of the serial ones: the sign-in before the reset (its
// session is then ended by the reset), or after it (the password it typed is then the old one,
// refused). Never a session opened with the old password outliving the reset.
// PostgreSQL only: SQLite runs one writing transaction at a time.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

type Kind = 'contact' | 'staff';
const meta = { ip: '203.0.113.9', userAgent: 'test' };
const NEW_PASSWORD = 'brand new pass 1';
const authBase = (kind: Kind) => (kind === 'contact' ? '/api/v1/auth' : '/api/v1/staff-auth');
const personTable = (kind: Kind) => (kind === 'contact' ? 'contacts' : 'staff');

/** A person with an authenticator app, their second step hard-locked, signed out, with a live reset link. */
async function hardLockedWithResetLink(kind: Kind): Promise<{ id: string; email: string; link: string }> {
  let id: string;
  let email: string;
  if (kind === 'contact') {
    const c = await signUpContact(t);
    await enrollTOTP(t, c.client);
    expect((await c.client.post('/api/v1/auth/logout')).statusCode).toBe(204);
    ({ id, email } = c);
  } else {
    const s = await staffWithMFA(t, 'agent');
    expect((await s.client.post('/api/v1/staff-auth/logout')).statusCode).toBe(204);
    ({ id, email } = s);
  }
  const locked = await t.ctx.db
    .updateTable('mfa_accounts')
    .set({ failures: HARD_LOCK_AT, hard_locked: 1 })
    .where('owner_kind', '=', kind)
    .where('owner_id', '=', id)
    .executeTakeFirst();
  expect(Number(locked.numUpdatedRows)).toBe(1);
  await accounts.requestPasswordReset(t.ctx, kind, email, meta);
  const link = MailSink.token(await t.mail.waitFor(email, 'Reset your password'), `${kind === 'staff' ? '/admin' : ''}/reset-password`);
  return { id, email, link };
}

async function signIn(kind: Kind, email: string, password: string) {
  const client = t.client();
  const r = await client.post(`${authBase(kind)}/login`, { email, password });
  return { client, status: r.statusCode, body: r.body, state: r.statusCode === 200 ? (r.json().state as string) : undefined, code: r.statusCode === 200 ? undefined : (r.json().code as string) };
}

/** What the reset leaves, whichever came first: the hard lock lifted, no session, the new password only. */
async function expectResetDone(kind: Kind, p: { id: string; email: string }) {
  const state = await t.ctx.db.selectFrom('mfa_accounts').select(['hard_locked', 'failures']).where('owner_kind', '=', kind).where('owner_id', '=', p.id).executeTakeFirstOrThrow();
  expect(Number(state.hard_locked)).toBe(0);
  expect(Number(state.failures)).toBe(HARD_LOCK_AT - LOCK_EVERY);
  const live = await t.ctx.db.selectFrom('sessions').select('id_hash').where('kind', '=', kind).where('subject_id', '=', p.id).execute();
  expect(live).toEqual([]);
  const old = await signIn(kind, p.email, PASSWORD);
  expect([old.status, old.code]).toEqual([401, 'invalid_credentials']);
  const fresh = await signIn(kind, p.email, NEW_PASSWORD);
  expect([fresh.status, fresh.state], fresh.body).toEqual([200, 'mfa_required']);
}

describe.skipIf(dialectUnderTest !== 'postgres')("a hard-locked person's password reset racing their sign-in", () => {
  for (const kind of ['contact', 'staff'] as const) {
    it(`${kind}: the reset at the person first, then the sign-in with the old password: the sign-in comes after, refused`, async () => {
      const p = await hardLockedWithResetLink(kind);
      // The reset has used its link (and now holds the MFA lock and state) and waits for the person.
      const pause = holdLock(t, (trx) => sql`select id from ${sql.table(personTable(kind))} where id = ${p.id} for update`.execute(trx));
      await pause.held;
      const reset = settled(accounts.resetPassword(t.ctx, kind, p.link, NEW_PASSWORD, meta));
      await waitForLockWaits(t, 1);
      // Its password checked against the person as they were, the sign-in then waits for the
      // MFA lock (before: it held the MFA state and waited for the person, the reset the other
      // way round: a deadlock once the person was let go).
      const signingIn = signIn(kind, p.email, PASSWORD);
      await waitForLockWaits(t, 2);
      await pause.release();
      const [r, s] = await Promise.all([reset, signingIn]);
      expect(r).toEqual({ ok: true, value: undefined });
      // As after the reset: the password it typed is no longer the password.
      expect([s.status, s.code], s.body).toEqual([401, 'invalid_credentials']);
      await expectResetDone(kind, p);
    });

    it(`${kind}: the sign-in holding the MFA state first, then the reset: the sign-in comes before, its session ended`, async () => {
      const p = await hardLockedWithResetLink(kind);
      // The sign-in holds the person's MFA lock and waits for their MFA state row.
      const pause = holdLock(t, (trx) => sql`select owner_id from mfa_accounts where owner_kind = ${kind} and owner_id = ${p.id} for update`.execute(trx));
      await pause.held;
      const signingIn = signIn(kind, p.email, PASSWORD);
      await waitForLockWaits(t, 1);
      // The reset now waits for the MFA lock (before: it took the person, then waited for the
      // state row, which the sign-in then held while it waited for the person: a deadlock).
      const reset = settled(accounts.resetPassword(t.ctx, kind, p.link, NEW_PASSWORD, meta));
      await waitForLockWaits(t, 2);
      await pause.release();
      const [r, s] = await Promise.all([reset, signingIn]);
      expect(r).toEqual({ ok: true, value: undefined });
      expect([s.status, s.state], s.body).toEqual([200, 'mfa_required']);
      // As before the reset: the reset ended the session the sign-in opened.
      expect((await s.client.get(`${authBase(kind)}/session`)).json().state).toBe('anonymous');
      await expectResetDone(kind, p);
    });
  }
});
