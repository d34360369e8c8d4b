import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertFactor } from '../src/mfa/store.js';
import { sessionIDHash } from '../src/sessions/service.js';
import { purgeExpiredChallenges } from '../src/mfa/sign-in.js';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep } from './helpers/mfa.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const STEP_UP = '/api/v1/auth/step-up';

/** A customer with an authenticator app, signed in again through the second step. */
async function signedIn() {
  const { client, email, id } = await signUpContact(t);
  const { secret } = await enrollTOTP(t, client);
  await client.post('/api/v1/auth/logout');
  nextStep(t);
  const c = t.client();
  await c.post('/api/v1/auth/login', { email, password: PASSWORD });
  const code = codeFor(t, secret);
  const r = await c.post('/api/v1/auth/mfa/verify', { method: 'totp', code });
  expect(r.statusCode, r.body).toBe(200);
  return { c, email, id, secret, signInCode: code };
}

async function failures(id: string): Promise<number> {
  const r = await t.ctx.db.selectFrom('mfa_accounts').select('failures').where('owner_kind', '=', 'contact').where('owner_id', '=', id).executeTakeFirst();
  return Number(r?.failures ?? 0);
}

describe('step-up', () => {
  it("counts the sign-in's own second step, for 5 minutes", async () => {
    const { c } = await signedIn();
    t.clock.advance(4 * 60_000 + 50_000);
    expect((await c.post('/api/v1/me/mfa/recovery-codes')).statusCode).toBe(201);
    t.clock.advance(15_000);
    expect((await c.post('/api/v1/me/mfa/recovery-codes')).json().code).toBe('step_up_required');
  });

  it('lasts 5 minutes from the step-up', async () => {
    const { c, secret } = await signedIn();
    t.clock.advance(10 * 60_000);
    const r = await c.post(STEP_UP, { method: 'totp', code: codeFor(t, secret) });
    expect(r.statusCode, r.body).toBe(200);
    t.clock.advance(5 * 60_000 - 1000);
    expect((await c.post('/api/v1/me/mfa/recovery-codes')).statusCode).toBe(201);
    t.clock.advance(2000);
    expect((await c.post('/api/v1/me/mfa/recovery-codes')).json().code).toBe('step_up_required');
  });

  it("refuses the code the sign-in used, and a code it accepted once", async () => {
    const { c, id, secret, signInCode } = await signedIn();
    const replay = await c.post(STEP_UP, { method: 'totp', code: signInCode });
    expect(replay.statusCode).toBe(400);
    expect(replay.json().code).toBe('invalid_code');
    nextStep(t);
    const code = codeFor(t, secret);
    expect((await c.post(STEP_UP, { method: 'totp', code })).statusCode).toBe(200);
    expect((await c.post(STEP_UP, { method: 'totp', code })).json().code).toBe('invalid_code');
    expect(await failures(id)).toBe(1);
  });

  it('allows 5 wrong codes a session, each counted against the account, even under concurrency', async () => {
    const { c, id, secret } = await signedIn();
    const results = await Promise.all(Array.from({ length: 20 }, () => c.post(STEP_UP, { method: 'totp', code: '000000' })));
    const codes = results.map((r) => r.json().code).sort();
    expect(codes.filter((x) => x === 'invalid_code')).toHaveLength(5);
    expect(codes.filter((x) => x === 'challenge_locked')).toHaveLength(15);
    for (const r of results) expect(r.statusCode).toBe(r.json().code === 'invalid_code' ? 400 : 429);
    expect(await failures(id)).toBe(5);
    // Even a right code is refused now in this session.
    nextStep(t);
    expect((await c.post(STEP_UP, { method: 'totp', code: codeFor(t, secret) })).json().code).toBe('challenge_locked');
    // A recovery code is no way round it, nor a temporary code.
    expect((await c.post(STEP_UP, { method: 'recovery_code', code: 'AAAA-BBBB-CCCC' })).json().code).toBe('challenge_locked');
    expect((await c.post(STEP_UP, { method: 'temporary_code', code: '12345678' })).statusCode).toBe(400);
  });

  it('is not accepted while the second step of the sign-in is pending', async () => {
    const { email, secret } = await signedIn();
    const p = t.client();
    await p.post('/api/v1/auth/login', { email, password: PASSWORD });
    nextStep(t);
    const r = await p.post(STEP_UP, { method: 'totp', code: codeFor(t, secret) });
    expect(r.statusCode).toBe(401);
    expect(r.json().code).toBe('mfa_required');
  });

  it("keeps a session's used-up tries through housekeeping, also after asking for a passkey challenge", async () => {
    const { c, id, secret } = await signedIn();
    // A passkey too, so that the step-up offers passkey challenges (only its id is listed).
    await insertFactor(t.ctx.db, {
      id: `fa_${randomBytes(8).toString('hex')}`, owner_kind: 'contact', owner_id: id, type: 'webauthn', name: 'Key', status: 'active',
      secret_sealed: null, last_used_step: null, credential_id: randomBytes(16).toString('base64url'), public_key: randomBytes(77).toString('base64url'), counter: 0,
      transports: null, aaguid: null, device_type: 'singleDevice', backed_up: 0, created_at: t.clock.now().toISOString(), last_used_at: null,
    });
    expect((await c.post('/api/v1/auth/step-up/webauthn/options')).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) expect((await c.post(STEP_UP, { method: 'totp', code: '000000' })).json().code).toBe('invalid_code');
    expect((await c.post(STEP_UP, { method: 'totp', code: '000000' })).json().code).toBe('challenge_locked');
    // The passkey challenge lives 5 minutes; housekeeping deletes challenge rows an hour past
    // their expiry. The session (2 hours idle) is still alive, and its tries still used up.
    t.clock.advance(66 * 60_000);
    await purgeExpiredChallenges(t.ctx);
    expect((await c.get('/api/v1/auth/session')).json().state).toBe('authenticated');
    const r = await c.post(STEP_UP, { method: 'totp', code: codeFor(t, secret) });
    expect(r.json().code).toBe('challenge_locked');
    expect(await failures(id)).toBe(5);
    // Once the session has ended, housekeeping deletes the row.
    const sessionHash = sessionIDHash(c.cookies.get('portico_session')!);
    const rows = () => t.ctx.db.selectFrom('mfa_challenges').select('attempts').where('session_hash', '=', sessionHash).where('purpose', '=', 'step_up').execute();
    expect(await rows()).toHaveLength(1);
    await c.post('/api/v1/auth/logout');
    await purgeExpiredChallenges(t.ctx);
    expect(await rows()).toHaveLength(0);
  });
});
