import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// PRODUCT.md §4: "No staff member can run these actions on their own account". The address a
// supervisor signs up with as a customer need not be byte for byte their staff address: a
// +tag or another letter case reaches the same inbox, so it is the same person's account.

let t: TestApp;
let sup: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  sup = await staffWithMFA(t, 'supervisor');
});
afterAll(async () => {
  await t.close();
});

const addressParts = () => sup.email.split('@') as [string, string];

async function customer(email: string) {
  const c = await signUpContact(t, email);
  await enrollTOTP(t, c.client);
  return c;
}

describe('a supervisor and their own customer account', () => {
  it('is refused on a +tagged, differently cased address of their own mailbox, and changes nothing', async () => {
    const [l, d] = addressParts();
    const mine = await customer(`${l}+support@${d}`.toUpperCase());
    await sup.stepUp();
    const r = await sup.client.post(`/api/v1/contacts/${mine.id}/mfa/unlock`, { reason: 'it is me, let me in' });
    expect(r.statusCode, r.body).toBe(403);
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(r.json().code).toBe('forbidden');
    const reset = await sup.client.post(`/api/v1/contacts/${mine.id}/mfa/reset`, { reason: 'new phone' });
    expect(reset.statusCode, reset.body).toBe(403);
    expect(reset.json().code).toBe('forbidden');
    const factors = await t.ctx.db.selectFrom('mfa_factors').select('status').where('owner_kind', '=', 'contact').where('owner_id', '=', mine.id).execute();
    expect(factors).toEqual([{ status: 'active' }]);
    const byStaff = await t.ctx.db.selectFrom('audit_events').select('action').where('contact_id', '=', mine.id).where('actor_type', '=', 'staff').execute();
    expect(byStaff).toEqual([]);
  });

  it('still acts on a customer whose address only looks alike', async () => {
    const [l, d] = addressParts();
    const other = await customer(`${l}-other@${d}`);
    await sup.stepUp();
    const r = await sup.client.post(`/api/v1/contacts/${other.id}/mfa/unlock`, { reason: 'verified by phone' });
    expect(r.statusCode, r.body).toBe(200);
  });
});
