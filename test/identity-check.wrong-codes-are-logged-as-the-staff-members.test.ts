import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// A wrong identity-check code is typed by the staff member (the customer reads the emailed code
// to them). It counts against the customer's one code counter (PRODUCT.md §7), so a caller
// cannot guess through identity checks for free; but the audit log named the customer as the
// one who failed, and the customer's own security page listed the failures as theirs. They
// name the staff member who typed them now, with the check, and the lockout email says so.

let t: TestApp;
let sup: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  sup = await staffWithMFA(t, 'supervisor');
});
afterAll(async () => {
  await t.close();
});

async function wrongCodes(contactID: string, email: string, n: number): Promise<string> {
  await sup.stepUp();
  const started = await sup.client.post(`/api/v1/contacts/${contactID}/identity-checks`, {});
  expect(started.statusCode, started.body).toBe(201);
  const code = /verification code is (\d{6})/.exec((await t.mail.waitFor(email, 'verification code')).text)![1];
  const checkID = started.json().id as string;
  for (let i = 0; i < n; i++) {
    const r = await sup.client.post(`/api/v1/contacts/${contactID}/identity-checks/${checkID}/confirm`, { code: code === '000000' ? '111111' : '000000' });
    expect(r.json().code).toBe('invalid_code');
  }
  return checkID;
}

describe("an identity check's wrong codes", () => {
  it('are audited as the staff member who typed them, with the check, and still count on the customer', async () => {
    const { client, id, email } = await signUpContact(t);
    const checkID = await wrongCodes(id, email, 3);
    const failed = await t.ctx.db.selectFrom('audit_events').select(['actor_type', 'actor_id', 'details']).where('contact_id', '=', id).where('action', '=', 'mfa.challenge.failed').execute();
    expect(failed).toHaveLength(3);
    for (const f of failed) {
      expect([f.actor_type, f.actor_id]).toEqual(['staff', sup.id]);
      expect(JSON.parse(f.details!)).toMatchObject({ check: 'identity_check', checkId: checkID });
    }
    const state = await t.ctx.db.selectFrom('mfa_accounts').select('failures').where('owner_kind', '=', 'contact').where('owner_id', '=', id).executeTakeFirstOrThrow();
    expect(Number(state.failures)).toBe(3);

    // The customer's own page shows them as support's.
    const events = (await client.get('/api/v1/me/security-events')).json().items as Array<{ action: string; actor: { type: string } }>;
    const mine = events.filter((e) => e.action === 'mfa.challenge.failed');
    expect(mine.map((e) => e.actor.type)).toEqual(['staff', 'staff', 'staff']);
  });

  it('that lock the customer out say in the lockout email that support typed them', async () => {
    const { id, email } = await signUpContact(t);
    await wrongCodes(id, email, 5);
    await wrongCodes(id, email, 5);
    const mail = await t.mail.waitFor(email, 'Two-step verification locked after wrong codes');
    expect(mail.text).toContain('There were 10 wrong two-step verification codes in a row');
    expect(mail.text).toContain('our support team entered while checking who they were talking to');
  });
});
