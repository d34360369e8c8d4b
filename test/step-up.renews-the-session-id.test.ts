import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COOKIES } from '../src/http/cookies.js';
import { sessionIDHash } from '../src/sessions/service.js';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import type { Client } from './helpers/client.js';
import { codeFor, enrollTOTP, nextStep, staffWithMFA } from './helpers/mfa.js';
import { SoftKey } from './helpers/soft-key.js';

/**
 * PRODUCT.md §7: a new session id on every change of authentication level. A step-up is one:
 * for 5 minutes the session may change MFA (and, for staff, other people's). A copy of the
 * cookie taken before it (a stolen one, say) must not share in that, so the step-up moves the
 * session to a new id and the old cookie signs nobody in any more.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const PATHS = {
  contact: { stepUp: '/api/v1/auth/step-up', me: '/api/v1/me/mfa', regenerate: '/api/v1/me/mfa/recovery-codes' },
  staff: { stepUp: '/api/v1/staff-auth/step-up', me: '/api/v1/staff-me/mfa', regenerate: '/api/v1/staff-me/mfa/recovery-codes' },
} as const;

async function sessionRow(token: string) {
  return t.ctx.db.selectFrom('sessions').selectAll().where('id_hash', '=', sessionIDHash(token)).executeTakeFirst();
}

async function recoveryCodeIDs(kind: 'contact' | 'staff', id: string): Promise<string[]> {
  const rows = await t.ctx.db.selectFrom('recovery_codes').select('id').where('owner_kind', '=', kind).where('owner_id', '=', id).orderBy('id').execute();
  return rows.map((r) => r.id);
}

async function auditCount(contactID: string, action: string): Promise<number> {
  const rows = await t.ctx.db.selectFrom('audit_events').select('seq').where('contact_id', '=', contactID).where('action', '=', action).execute();
  return rows.length;
}

/** A person of the kind with an authenticator app, signed in, whose step-up has run out. */
async function signedIn(kind: 'contact' | 'staff'): Promise<{ client: Client; id: string; secret: Buffer }> {
  let r: { client: Client; id: string; secret: Buffer };
  if (kind === 'contact') {
    const { client, id } = await signUpContact(t);
    const { secret } = await enrollTOTP(t, client);
    r = { client, id, secret };
  } else {
    const s = await staffWithMFA(t, 'supervisor');
    r = { client: s.client, id: s.id, secret: s.secret };
  }
  t.clock.advance(10 * 60_000);
  nextStep(t);
  return r;
}

describe('a step-up renews the session id', () => {
  for (const kind of ['contact', 'staff'] as const) {
    it(`${kind}: the cookie from before signs nobody in, the new one holds the step-up, and the session's life is unchanged`, async () => {
      const paths = PATHS[kind];
      const { client, id, secret } = await signedIn(kind);
      const before = client.cookies.get(COOKIES[kind])!;
      const csrfBefore = await client.csrfToken(paths.stepUp);
      const row = await sessionRow(before);
      expect(row).toBeDefined();

      client.headers['x-csrf-token'] = csrfBefore;
      const up = await client.post(paths.stepUp, { method: 'totp', code: codeFor(t, secret) });
      expect(up.statusCode, up.body).toBe(200);
      const after = client.cookies.get(COOKIES[kind])!;
      expect(after).not.toBe(before);
      expect(typeof up.json().csrfToken).toBe('string');
      const steppedUpAt = t.clock.now();
      expect(up.json().validUntil).toBe(new Date(steppedUpAt.getTime() + 5 * 60_000).toISOString());

      // The old cookie, with its own CSRF token: no session, and nothing done.
      const codes = await recoveryCodeIDs(kind, id);
      const stolen = t.client();
      stolen.cookies.set(COOKIES[kind], before);
      expect((await stolen.get(paths.me)).statusCode).toBe(401);
      stolen.headers['x-csrf-token'] = csrfBefore;
      const refused = await stolen.post(paths.regenerate);
      expect(refused.statusCode, refused.body).toBe(401);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(await recoveryCodeIDs(kind, id)).toEqual(codes);
      // Nor can it step up on its own: it has no session to step up.
      nextStep(t);
      expect((await stolen.post(paths.stepUp, { method: 'totp', code: codeFor(t, secret) })).statusCode).toBe(401);

      // The new cookie holds the step-up, under the CSRF token of the answer, not the old one.
      expect((await client.post(paths.regenerate)).json().code).toBe('csrf_failed');
      client.headers['x-csrf-token'] = up.json().csrfToken;
      const regenerated = await client.post(paths.regenerate);
      expect(regenerated.statusCode, regenerated.body).toBe(201);
      expect(await recoveryCodeIDs(kind, id)).not.toEqual(codes);

      // One row, moved: same level, start and absolute expiry (a step-up never lengthens a session).
      expect(await sessionRow(before)).toBeUndefined();
      const renewed = await sessionRow(after);
      expect(renewed).toMatchObject({ kind, subject_id: id, level: 'full', created_at: row!.created_at, expires_at: row!.expires_at, step_up_at: steppedUpAt.toISOString() });
    });
  }

  it('of step-ups racing on one session, one renews it and the others spend nothing', async () => {
    const { client, id } = await signUpContact(t);
    const { recoveryCodes } = await enrollTOTP(t, client);
    t.clock.advance(10 * 60_000);
    const before = client.cookies.get(COOKIES.contact)!;
    client.headers['x-csrf-token'] = await client.csrfToken(PATHS.contact.stepUp);
    // Different right codes, so that no step-up loses to a spent code: only the renewal decides.
    const results = await Promise.all(recoveryCodes!.slice(0, 6).map((code) => client.post(PATHS.contact.stepUp, { method: 'recovery_code', code })));
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 200), statuses.join(' ')).toHaveLength(1);
    for (const r of results) if (r.statusCode !== 200) expect([401, 429], r.body).toContain(r.statusCode);
    const winner = results.find((r) => r.statusCode === 200)!;
    const cookie = winner.cookies.find((c) => c.name === COOKIES.contact)!.value;
    // One live session, the winner's; one code spent, one step-up audited.
    const live = await t.ctx.db.selectFrom('sessions').select('id_hash').where('kind', '=', 'contact').where('subject_id', '=', id).execute();
    expect(live.map((r) => r.id_hash)).toEqual([sessionIDHash(cookie)]);
    expect(await sessionRow(before)).toBeUndefined();
    const unused = await t.ctx.db.selectFrom('recovery_codes').select('id').where('owner_kind', '=', 'contact').where('owner_id', '=', id).where('used_at', 'is', null).execute();
    expect(unused).toHaveLength(9);
    expect(await auditCount(id, 'mfa.step_up.succeeded')).toBe(1);
    expect(await auditCount(id, 'mfa.recovery_code.used')).toBe(1);
  });

  it('a passkey registration begun before a step-up finishes after it', async () => {
    const { client } = await signUpContact(t);
    const { secret } = await enrollTOTP(t, client);
    nextStep(t);
    expect((await client.post(PATHS.contact.stepUp, { method: 'totp', code: codeFor(t, secret) })).statusCode).toBe(200);
    // The options are given within that step-up's 5 minutes...
    t.clock.advance(4 * 60_000);
    const options = await client.post('/api/v1/me/mfa/webauthn/options');
    expect(options.statusCode, options.body).toBe(200);
    // ...and the registration is sent after them, so it needs a step-up, which renews the session.
    t.clock.advance(2 * 60_000);
    const key = new SoftKey(t.config.publicURL);
    const response = key.create(options.json());
    expect((await client.post('/api/v1/me/mfa/webauthn', { response, name: 'Laptop' })).json().code).toBe('step_up_required');
    nextStep(t);
    expect((await client.post(PATHS.contact.stepUp, { method: 'totp', code: codeFor(t, secret) })).statusCode).toBe(200);
    const added = await client.post('/api/v1/me/mfa/webauthn', { response, name: 'Laptop' });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json().name).toBe('Laptop');
  });
});
