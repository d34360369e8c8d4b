import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { generateID } from '../src/crypto/random.js';
import { insertFactor, isCredentialIDTaken } from '../src/mfa/store.js';
import type { MFAFactorsTable } from '../src/db/types.js';

// A passkey registered twice (two registrations racing with one authenticator) fails on the
// unique credential id; the service answers that as 409 "already registered", so the error
// must be told apart from any other, as each database reports it.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

function passkey(ownerID: string, credentialID: string): MFAFactorsTable {
  const now = t.clock.now().toISOString();
  return {
    id: generateID('fa'),
    owner_kind: 'contact',
    owner_id: ownerID,
    type: 'webauthn',
    name: 'Key',
    status: 'active',
    secret_sealed: null,
    last_used_step: null,
    credential_id: credentialID,
    public_key: null,
    counter: 0,
    transports: null,
    aaguid: null,
    device_type: null,
    backed_up: null,
    created_at: now,
    last_used_at: null,
  };
}

describe('a credential id registered twice', () => {
  it('is recognised as taken; another unique violation is not', async () => {
    const { id } = await signUpContact(t);
    const credential = randomBytes(16).toString('base64url');
    const first = passkey(id, credential);
    await insertFactor(t.ctx.db, first);
    const twice = await insertFactor(t.ctx.db, passkey(id, credential)).then(() => null, (e: unknown) => e);
    expect(twice).not.toBeNull();
    expect(isCredentialIDTaken(twice)).toBe(true);
    const sameID = await insertFactor(t.ctx.db, { ...passkey(id, randomBytes(16).toString('base64url')), id: first.id }).then(() => null, (e: unknown) => e);
    expect(sameID).not.toBeNull();
    expect(isCredentialIDTaken(sameID)).toBe(false);
  });
});
