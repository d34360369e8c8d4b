import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, judgedWrongCodes, nextStep } from './helpers/mfa.js';
import { sessionIDHash } from '../src/sessions/service.js';
import { sessionCookieName } from '../src/http/cookies.js';
import { findAccountByEmail } from '../src/accounts/store.js';
import { findSessionWithSubject } from '../src/sessions/store.js';
import { insertFactor } from '../src/mfa/store.js';
import { purgeExpiredChallenges, webauthnChallengeFor } from '../src/mfa/sign-in.js';
import { verifySecondStep } from '../src/mfa/second-step.js';
import { AppError } from '../src/http/errors.js';

// PRODUCT.md §7: a pending sign-in's challenge allows 5 wrong codes, and once its second step
// is passed the sign-in is over. A request that was already in flight when the right code won
// (it had read the pending session before the new session replaced it) must find no tries
// left: no code of it is judged and nothing counts against the account. Its tries are taken
// only on the row the password step opened, which the passed step deletes; no later request
// can open it again, not even one asking for a passkey challenge. Runs on SQLite and on
// PostgreSQL; on PostgreSQL the in-flight request used to get a fresh try when its write
// waited on the passing one.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const VERIFY = '/api/v1/auth/mfa/verify';
const meta = { ip: '203.0.113.9', userAgent: 'in-flight request' };

function codeOf(e: unknown): string {
  return e instanceof AppError ? e.code : String(e);
}

describe('a completed sign-in has no tries left', () => {
  it('requests in flight when the right code won are refused unjudged, a passkey challenge request too', async () => {
    const { client, email, id } = await signUpContact(t);
    const { secret } = await enrollTOTP(t, client);
    // A passkey too, so that the sign-in offers passkey challenges (only its credential id is
    // used here: to list it in the challenge's options).
    const now = t.clock.now().toISOString();
    await insertFactor(t.ctx.db, {
      id: `fa_${randomBytes(8).toString('hex')}`, owner_kind: 'contact', owner_id: id, type: 'webauthn', name: 'Key', status: 'active',
      secret_sealed: null, last_used_step: null, credential_id: randomBytes(16).toString('base64url'), public_key: randomBytes(77).toString('base64url'), counter: 0,
      transports: null, aaguid: null, device_type: 'singleDevice', backed_up: 0, created_at: now, last_used_at: null,
    });
    nextStep(t);
    const c = t.client();
    expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
    // What an in-flight request holds: the pending session as it read it.
    const stale = (await findSessionWithSubject(t.ctx.db, 'contact', sessionIDHash(c.cookies.get(sessionCookieName('contact'))!)))!.session;
    const account = (await findAccountByEmail(t.ctx.db, 'contact', email))!;
    expect(stale.level).toBe('mfa');

    c.headers['x-csrf-token'] = await c.csrfToken(VERIFY);
    expect((await c.post(VERIFY, { method: 'totp', code: codeFor(t, secret) })).statusCode).toBe(200);

    // The late requests, after the right code's transaction committed.
    const late = await Promise.allSettled([
      webauthnChallengeFor(t.ctx, stale, account, 'sign_in'),
      verifySecondStep(t.ctx, stale, account, { method: 'totp', code: '000000' }, meta),
      webauthnChallengeFor(t.ctx, stale, account, 'sign_in'),
      verifySecondStep(t.ctx, stale, account, { method: 'totp', code: '111111' }, meta),
    ]);
    expect(late.map((r) => (r.status === 'rejected' ? codeOf(r.reason) : 'passed'))).toEqual(['unauthenticated', 'unauthenticated', 'unauthenticated', 'unauthenticated']);
    expect(await judgedWrongCodes(t, id)).toBe(0);
    const state = await t.ctx.db.selectFrom('mfa_accounts').select(['failures']).where('owner_kind', '=', 'contact').where('owner_id', '=', id).executeTakeFirst();
    expect(Number(state?.failures ?? 0)).toBe(0);
    // And no challenge row was opened again for the completed sign-in.
    const rows = await t.ctx.db.selectFrom('mfa_challenges').select('purpose').where('session_hash', '=', stale.idHash).execute();
    expect(rows).toEqual([]);
  });

  it('a pending sign-in opens its challenge with the password step, and housekeeping deletes it an hour after it expired', async () => {
    const { client, email } = await signUpContact(t);
    await enrollTOTP(t, client);
    const c = t.client();
    expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
    const idHash = sessionIDHash(c.cookies.get(sessionCookieName('contact'))!);
    const row = await t.ctx.db.selectFrom('mfa_challenges').selectAll().where('session_hash', '=', idHash).executeTakeFirstOrThrow();
    expect(row.purpose).toBe('sign_in');
    expect(Number(row.attempts)).toBe(0);
    // The sign-in's 10 minutes, then most of an hour: still there.
    t.clock.advance(65 * 60_000);
    await purgeExpiredChallenges(t.ctx);
    expect(await t.ctx.db.selectFrom('mfa_challenges').select('purpose').where('session_hash', '=', idHash).execute()).toHaveLength(1);
    t.clock.advance(10 * 60_000);
    await purgeExpiredChallenges(t.ctx);
    expect(await t.ctx.db.selectFrom('mfa_challenges').select('purpose').where('session_hash', '=', idHash).execute()).toHaveLength(0);
  });
});
