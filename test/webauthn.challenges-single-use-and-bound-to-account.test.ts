import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import type { Client } from './helpers/client.js';
import { b64u, SoftKey } from './helpers/soft-key.js';

/**
 * Passkeys through real HTTP, with a software authenticator (test/helpers/soft-key.ts): ES256
 * key pairs, `none` attestation, and assertions signed over the server's own challenge, so
 * every refusal below is the server's judgement of a well-formed response, not of a broken one.
 */
const ICLOUD = 'fbfc3007-154e-4ecc-8c0b-6e020557d7bd';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

/** Registers `key` as a passkey of the signed-in customer behind `client`; returns the factor. */
async function register(client: Client, key: SoftKey, name?: string) {
  const options = await client.post('/api/v1/me/mfa/webauthn/options');
  expect(options.statusCode, options.body).toBe(200);
  const r = await client.post('/api/v1/me/mfa/webauthn', { response: key.create(options.json()), ...(name ? { name } : {}) });
  expect(r.statusCode, r.body).toBe(201);
  return r.json();
}

/** A fresh step-up on `client`'s session with `key`. */
async function stepUpWith(client: Client, key: SoftKey) {
  const options = await client.post('/api/v1/auth/step-up/webauthn/options');
  expect(options.statusCode, options.body).toBe(200);
  const r = await client.post('/api/v1/auth/step-up', { method: 'webauthn', response: key.get(options.json()) });
  expect(r.statusCode, r.body).toBe(200);
}

/** A customer with one passkey, signed out; returns their email, id and key. */
async function customerWithPasskey(aaguid?: string) {
  const { client, email, id } = await signUpContact(t);
  const key = new SoftKey(t.config.publicURL, aaguid);
  const factor = await register(client, key);
  await client.post('/api/v1/auth/logout');
  return { email, id, key, factor, client };
}

/** A new browser that passed the password and waits for its second step. */
async function pendingSignIn(email: string): Promise<Client> {
  const c = t.client();
  const login = await c.post('/api/v1/auth/login', { email, password: PASSWORD });
  expect(login.json(), login.body).toMatchObject({ state: 'mfa_required' });
  expect(login.json().methods).toContain('webauthn');
  return c;
}

async function signInOptions(c: Client): Promise<{ challenge: string; allowCredentials?: Array<{ id: string }>; userVerification?: string; rpId?: string }> {
  const r = await c.post('/api/v1/auth/mfa/webauthn/options');
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
}

function expectProblem(r: { statusCode: number; headers: Record<string, unknown>; json(): { code: string } }, status: number, code: string) {
  expect(r.statusCode).toBe(status);
  expect(String(r.headers['content-type'])).toContain('application/problem+json');
  expect(r.json().code).toBe(code);
}

describe('passkey registration', () => {
  it('names the passkey after its authenticator model, and excludes the registered ones from the next registration', async () => {
    const { client } = await signUpContact(t);
    const key = new SoftKey(t.config.publicURL, ICLOUD);
    const factor = await register(client, key);
    expect(factor).toMatchObject({ type: 'webauthn', name: 'iCloud Keychain' });
    await stepUpWith(client, key);
    const next = await client.post('/api/v1/me/mfa/webauthn/options');
    expect(next.json().excludeCredentials.map((c: { id: string }) => c.id)).toEqual([b64u(key.id)]);
    expect(next.json().rp.id).toBe(new URL(t.config.publicURL).hostname);
  });

  it('refuses a replayed response, an expired challenge, another session\'s challenge and another origin', async () => {
    const { client } = await signUpContact(t);
    const key = new SoftKey(t.config.publicURL);
    const options = (await client.post('/api/v1/me/mfa/webauthn/options')).json();
    const response = key.create(options);
    expect((await client.post('/api/v1/me/mfa/webauthn', { response })).statusCode).toBe(201);
    await stepUpWith(client, key);
    // Replayed (the challenge is used up; and the credential is registered already).
    expectProblem(await client.post('/api/v1/me/mfa/webauthn', { response }), 400, 'invalid_input');

    const other = await signUpContact(t);
    // Another session's challenge: the response was made for `client`'s options.
    await other.client.post('/api/v1/me/mfa/webauthn/options');
    const foreign = new SoftKey(t.config.publicURL).create((await client.post('/api/v1/me/mfa/webauthn/options')).json());
    expectProblem(await other.client.post('/api/v1/me/mfa/webauthn', { response: foreign }), 400, 'invalid_input');

    // Another origin.
    const third = await signUpContact(t);
    const evil = new SoftKey('https://evil.example');
    const o3 = (await third.client.post('/api/v1/me/mfa/webauthn/options')).json();
    expectProblem(await third.client.post('/api/v1/me/mfa/webauthn', { response: evil.create(o3, 'https://evil.example') }), 400, 'invalid_input');

    // Expired: the challenge lives 5 minutes.
    const fourth = await signUpContact(t);
    const o4 = (await fourth.client.post('/api/v1/me/mfa/webauthn/options')).json();
    t.clock.advance(5 * 60_000 + 1000);
    expectProblem(await fourth.client.post('/api/v1/me/mfa/webauthn', { response: new SoftKey(t.config.publicURL).create(o4) }), 400, 'invalid_input');
    expect((await fourth.client.get('/api/v1/me/mfa')).json().factors).toEqual([]);
  });
});

describe('one credential, one account', () => {
  it('the same credential sent for several accounts at once is registered once; the others get 409, never 500', async () => {
    const accounts = await Promise.all(Array.from({ length: 6 }, () => signUpContact(t)));
    const key = new SoftKey(t.config.publicURL);
    const options = await Promise.all(accounts.map(async (a) => (await a.client.post('/api/v1/me/mfa/webauthn/options')).json()));
    const results = await Promise.all(accounts.map((a, i) => a.client.post('/api/v1/me/mfa/webauthn', { response: key.create(options[i]) })));
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.statusCode === 409)) expectProblem(r, 409, 'conflict');
    const rows = await t.ctx.db.selectFrom('mfa_factors').select('owner_id').where('credential_id', '=', b64u(key.id)).execute();
    expect(rows).toHaveLength(1);
    // The losers have no factor, and no recovery codes either.
    for (const a of accounts.filter((x) => x.id !== rows[0].owner_id)) expect((await a.client.get('/api/v1/me/mfa')).json()).toMatchObject({ enrolled: false, factors: [], recoveryCodesLeft: 0 });
  });
});

describe('passkey second step', () => {
  it('passes with the account\'s own passkey, and the assertion cannot be replayed', async () => {
    const { email, key } = await customerWithPasskey();
    const c = await pendingSignIn(email);
    const options = await signInOptions(c);
    expect(options.allowCredentials?.map((a) => a.id)).toEqual([b64u(key.id)]);
    expect(options.rpId).toBe(new URL(t.config.publicURL).hostname);
    const assertion = key.get(options);
    const ok = await c.post('/api/v1/auth/mfa/verify', { method: 'webauthn', response: assertion });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().state).toBe('authenticated');
    // The same assertion in a new sign-in, with or without asking for options first.
    const again = await pendingSignIn(email);
    expectProblem(await again.post('/api/v1/auth/mfa/verify', { method: 'webauthn', response: assertion }), 400, 'invalid_code');
    await signInOptions(again);
    expectProblem(await again.post('/api/v1/auth/mfa/verify', { method: 'webauthn', response: assertion }), 400, 'invalid_code');
    expect((await again.get('/api/v1/auth/session')).json().state).toBe('mfa_required');
  });

  it('refuses an assertion over an expired challenge, over another sign-in\'s challenge, or used twice', async () => {
    const { email, key } = await customerWithPasskey();
    const c = await pendingSignIn(email);
    const expired = await signInOptions(c);
    t.clock.advance(5 * 60_000 + 1000);
    expectProblem(await c.post('/api/v1/auth/mfa/verify', { method: 'webauthn', response: key.get(expired) }), 400, 'invalid_code');

    const a = await pendingSignIn(email);
    const b = await pendingSignIn(email);
    const forA = await signInOptions(a);
    await signInOptions(b);
    expectProblem(await b.post('/api/v1/auth/mfa/verify', { method: 'webauthn', response: key.get(forA) }), 400, 'invalid_code');
    // b's own challenge was used up by that try: even a right answer to it needs new options.
    expect((await a.post('/api/v1/auth/mfa/verify', { method: 'webauthn', response: key.get(forA) })).statusCode).toBe(200);
  });

  it('never lets one account\'s passkey pass another account\'s second step or step-up', async () => {
    const alice = await customerWithPasskey();
    const bob = await customerWithPasskey();
    const c = await pendingSignIn(bob.email);
    const options = await signInOptions(c);
    expectProblem(await c.post('/api/v1/auth/mfa/verify', { method: 'webauthn', response: alice.key.get(options) }), 400, 'invalid_code');
    const opt2 = await signInOptions(c);
    expect((await c.post('/api/v1/auth/mfa/verify', { method: 'webauthn', response: bob.key.get(opt2) })).statusCode).toBe(200);
    // Step-up on bob's session with alice's key.
    const su = (await c.post('/api/v1/auth/step-up/webauthn/options')).json();
    expectProblem(await c.post('/api/v1/auth/step-up', { method: 'webauthn', response: alice.key.get(su) }), 400, 'invalid_code');
  });

  it('refuses a cloned authenticator whose counter did not go up, and audits it', async () => {
    const { email, id, key } = await customerWithPasskey();
    // A genuine sign-in moves the counter to 2.
    key.counter = 1;
    const owner = await pendingSignIn(email);
    expect((await owner.post('/api/v1/auth/mfa/verify', { method: 'webauthn', response: key.get(await signInOptions(owner)) })).statusCode).toBe(200);
    // The clone answers with the same counter (and then a lower one), at a sign-in and a step-up.
    for (const counter of [1, 0]) {
      key.counter = counter;
      const c = await pendingSignIn(email);
      expectProblem(await c.post('/api/v1/auth/mfa/verify', { method: 'webauthn', response: key.get(await signInOptions(c)) }), 400, 'invalid_code');
    }
    key.counter = 1;
    const su = (await owner.post('/api/v1/auth/step-up/webauthn/options')).json();
    expectProblem(await owner.post('/api/v1/auth/step-up', { method: 'webauthn', response: key.get(su) }), 400, 'invalid_code');
    const events = await t.ctx.db.selectFrom('audit_events').select('details').where('contact_id', '=', id).where('action', '=', 'mfa.challenge.failed').orderBy('seq').execute();
    expect(events.map((e) => JSON.parse(e.details!).check)).toEqual(['webauthn:counter_not_increased', 'webauthn:counter_not_increased', 'step_up:webauthn:counter_not_increased']);
    // The genuine key, whose counter goes on from the highest seen, still works.
    key.counter = 2;
    await stepUpWith(owner, key);
  });

  it('a removed passkey no longer passes the second step', async () => {
    const { client } = await signUpContact(t);
    const first = new SoftKey(t.config.publicURL);
    const second = new SoftKey(t.config.publicURL);
    await register(client, first);
    // A second passkey, and its removal, need a step-up.
    await stepUpWith(client, first);
    const f2 = await register(client, second);
    expect((await client.delete(`/api/v1/me/mfa/factors/${f2.id}`)).statusCode).toBe(204);
    const email = (await client.get('/api/v1/auth/session')).json().contact.email;
    const c = await pendingSignIn(email);
    const options = await signInOptions(c);
    expect(options.allowCredentials?.map((a) => a.id)).toEqual([b64u(first.id)]);
    expectProblem(await c.post('/api/v1/auth/mfa/verify', { method: 'webauthn', response: second.get(options) }), 400, 'invalid_code');
  });

  it('answers malformed responses with 400 problem+json, never 500', async () => {
    const { email, key } = await customerWithPasskey();
    const good = key.get({ challenge: 'x' }) as { response: Record<string, string> };
    const bad: unknown[] = [
      {},
      { id: 5 },
      { id: b64u(key.id) },
      { id: b64u(key.id), rawId: b64u(key.id), type: 'public-key', response: 'x' },
      { id: b64u(key.id), rawId: b64u(key.id), type: 'public-key', response: { ...good.response, clientDataJSON: '%%%' } },
      { id: b64u(key.id), rawId: b64u(key.id), type: 'public-key', response: { ...good.response, authenticatorData: '' } },
      { id: b64u(key.id), rawId: b64u(key.id), type: 'public-key', response: { ...good.response, signature: 12 } },
      { id: b64u(key.id), rawId: 'other', type: 'public-key', response: good.response },
      [1, 2],
      'x',
      null,
    ];
    for (const response of bad) {
      const c = await pendingSignIn(email);
      await signInOptions(c);
      const r = await c.post('/api/v1/auth/mfa/verify', { method: 'webauthn', response });
      expect(r.statusCode, JSON.stringify(response)).toBe(400);
      expect(String(r.headers['content-type'])).toContain('application/problem+json');
    }
    // Registration too.
    const { client } = await signUpContact(t);
    for (const response of bad) {
      await client.post('/api/v1/me/mfa/webauthn/options');
      const r = await client.post('/api/v1/me/mfa/webauthn', { response });
      expect(r.statusCode, JSON.stringify(response)).toBe(400);
      expect(String(r.headers['content-type'])).toContain('application/problem+json');
    }
  });
});

describe('passkey step-up', () => {
  it('passes with a fresh assertion, not with a replayed one or over the sign-in\'s challenge', async () => {
    const { email, key } = await customerWithPasskey();
    const c = await pendingSignIn(email);
    const signIn = await signInOptions(c);
    const used = key.get(signIn);
    expect((await c.post('/api/v1/auth/mfa/verify', { method: 'webauthn', response: used })).statusCode).toBe(200);
    t.clock.advance(6 * 60_000);
    expectProblem(await c.post('/api/v1/me/mfa/recovery-codes'), 403, 'step_up_required');
    // The sign-in's assertion again, as a step-up.
    await c.post('/api/v1/auth/step-up/webauthn/options');
    expectProblem(await c.post('/api/v1/auth/step-up', { method: 'webauthn', response: used }), 400, 'invalid_code');
    const su = (await c.post('/api/v1/auth/step-up/webauthn/options')).json();
    const fresh = key.get(su);
    expect((await c.post('/api/v1/auth/step-up', { method: 'webauthn', response: fresh })).statusCode).toBe(200);
    expect((await c.post('/api/v1/me/mfa/recovery-codes')).statusCode).toBe(201);
    expectProblem(await c.post('/api/v1/auth/step-up', { method: 'webauthn', response: fresh }), 400, 'invalid_code');
  });
});
