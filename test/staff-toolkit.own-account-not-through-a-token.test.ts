import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// PRODUCT.md §4: "No staff member can run these actions on their own account". An admin may
// create an API token for another staff member; such a token must not become the way around the
// rule for its creator (their staff account, or their own customer account).

let t: TestApp;
let a: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  a = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

async function tokenFor(owner: { id: string }, scopes: string[]): Promise<string> {
  await a.stepUp();
  const r = await a.client.post('/api/v1/api-tokens', { name: `for ${owner.id}`, scopes, staffId: owner.id });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().token;
}

const call = (token: string, url: string, body: object) =>
  t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });

describe('a token made for someone else', () => {
  it('cannot act on the staff account of the admin who made it, but acts on others', async () => {
    const b = await staffWithMFA(t, 'admin');
    const c = await staffWithMFA(t, 'admin');
    const token = await tokenFor(b, ['staff:manage']);
    const own = await call(token, `/api/v1/staff/${a.id}/mfa/unlock`, { reason: 'let me in' });
    expect(own.statusCode, own.body).toBe(403);
    expect(own.json().code).toBe('forbidden');
    expect((await call(token, `/api/v1/staff/${c.id}/mfa/unlock`, { reason: 'routine' })).statusCode).toBe(200);
  });

  it('cannot act on the customer account of the admin who made it', async () => {
    const mine = await signUpContact(t, a.email);
    await enrollTOTP(t, mine.client);
    const other = await signUpContact(t);
    const sup = await staffWithMFA(t, 'supervisor');
    const token = await tokenFor(sup, ['mfa:manage']);
    const own = await call(token, `/api/v1/contacts/${mine.id}/mfa/unlock`, { reason: 'let me in' });
    expect(own.statusCode, own.body).toBe(403);
    expect((await call(token, `/api/v1/contacts/${other.id}/mfa/unlock`, { reason: 'routine' })).statusCode).toBe(200);
  });
});
