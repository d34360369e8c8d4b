import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// PRODUCT.md §4.6: the customer reads the emailed code back to the agent, who enters it; the
// confirmed check goes with the one action that follows. The check's id shows in the audit log,
// which every staff role reads: a colleague who never spoke to the customer must not be able
// to enter the code, nor act on the strength of someone else's check.

let t: TestApp;
let alice: StaffWithMFA;
let bob: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  alice = await staffWithMFA(t, 'supervisor');
  bob = await staffWithMFA(t, 'supervisor');
});
afterAll(async () => {
  await t.close();
});

async function emailedCode(email: string): Promise<string> {
  const mail = await t.mail.waitFor(email, 'Your verification code');
  return mail.text.match(/verification code is (\d{6})/)![1];
}

function expectProblem(r: { statusCode: number; headers: Record<string, unknown>; json(): { code: string } }, status: number, code: string) {
  expect(r.statusCode).toBe(status);
  expect(String(r.headers['content-type'])).toContain('application/problem+json');
  expect(r.json().code).toBe(code);
}

const issued = async (contactID: string) =>
  (await t.ctx.db.selectFrom('audit_events').select('id').where('contact_id', '=', contactID).where('action', 'in', ['mfa.temporary_code.issued', 'mfa.pending_action.scheduled']).execute()).length;

describe('an identity check belongs to the staff member who ran it', () => {
  it('another staff member cannot enter its code, even the right one, and it stays unconfirmed for the one who ran it', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    await alice.stepUp();
    const checkId = (await alice.client.post(`/api/v1/contacts/${id}/identity-checks`, {})).json().id;
    const code = await emailedCode(email);

    // Bob read the check's id in the audit log, and somehow the code: he cannot enter it.
    await bob.stepUp();
    expectProblem(await bob.client.post(`/api/v1/contacts/${id}/identity-checks/${checkId}/confirm`, { code }), 404, 'not_found');
    const row = await t.ctx.db.selectFrom('identity_checks').select(['verified_at', 'attempts']).where('id', '=', checkId).executeTakeFirstOrThrow();
    expect(row.verified_at).toBeNull();
    expect(Number(row.attempts)).toBe(0);

    // Alice, who is talking to the customer, confirms it.
    expect((await alice.client.post(`/api/v1/contacts/${id}/identity-checks/${checkId}/confirm`, { code })).json()).toEqual({ verified: true });
  });

  it('another staff member cannot act on the strength of a check someone else confirmed, and the one who ran it still can', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    await alice.stepUp();
    const checkId = (await alice.client.post(`/api/v1/contacts/${id}/identity-checks`, {})).json().id;
    expect((await alice.client.post(`/api/v1/contacts/${id}/identity-checks/${checkId}/confirm`, { code: await emailedCode(email) })).json()).toEqual({ verified: true });

    await bob.stepUp();
    // Bob cannot act on the strength of it: refused, nothing issued, the check not used up.
    const verification = { method: 'email_code', checkId };
    expectProblem(await bob.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'riding on a colleague\'s check', verification }), 400, 'invalid_input');
    expect(await issued(id)).toBe(0);
    expect((await t.ctx.db.selectFrom('identity_checks').select('used_at').where('id', '=', checkId).executeTakeFirstOrThrow()).used_at).toBeNull();

    // Alice can.
    const own = await alice.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'verified by email', verification });
    expect(own.statusCode, own.body).toBeLessThan(300);
    expect(await issued(id)).toBe(1);
  });
});
