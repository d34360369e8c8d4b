import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// Every toolkit action emails the customer (PRODUCT.md §4). An unlock of an account that was
// not locked was audited but told the customer nothing; yet that support was asked to act on
// their account is itself what a customer being impersonated needs to hear.

let t: TestApp;
let sup: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  sup = await staffWithMFA(t, 'supervisor');
});
afterAll(async () => {
  await t.close();
});

describe('unlocking a customer who is not locked', () => {
  it('answers unlocked: false, is audited, and emails the customer that nothing changed', async () => {
    const { client, id, email } = await signUpContact(t);
    await enrollTOTP(t, client);
    await sup.stepUp();
    const r = await sup.client.post(`/api/v1/contacts/${id}/mfa/unlock`, { reason: 'caller says they are locked out', verification: { method: 'callback' } });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ unlocked: false });
    const entry = await t.ctx.db.selectFrom('audit_events').select('details').where('contact_id', '=', id).where('action', '=', 'mfa.unlocked').executeTakeFirstOrThrow();
    expect(JSON.parse(entry.details!)).toMatchObject({ wasLocked: false });
    const mail = await t.mail.waitFor(email, 'Our support team checked your two-step verification');
    expect(mail.text).toContain('It was not locked, so nothing changed');
    expect(mail.text).toMatch(/if (this|it) was not you|did not ask/i);
  });
});
