import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueEmailToken } from '../src/accounts/email-tokens.js';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP } from './helpers/mfa.js';

// An emailed setup link lets a sign-in that passed the password skip the second step and add a
// new factor: it stands in for the factors a staff reset removed. It must count only while that
// reset still asks for a setup. A link that outlives it (a bulk reset's email issuing its link
// in the instant the customer finishes setting up again, say) would otherwise let whoever holds
// the mailbox and the password add their own authenticator past the customer's second step.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('a setup link is honoured only while a setup is required', () => {
  it('a live setup link of a customer whose MFA asks for no setup does not open enrollment, and stays unused', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    // The link a racing delivery could leave behind: live, for this customer, no setup required.
    const stray = await t.ctx.db.transaction().execute((trx) => issueEmailToken(t.ctx, trx, 'mfa_setup', 'contact', id, 24 * 3_600_000));

    const c = t.client();
    const login = await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect(login.json()).toMatchObject({ state: 'mfa_required' });
    expect(login.json().methods).not.toContain('setup_link');
    const used = await c.post('/api/v1/auth/setup-link', { token: stray });
    expect(used.statusCode).toBe(400);
    expect(used.headers['content-type']).toContain('application/problem+json');
    expect(used.json().code).toBe('invalid_token');
    // Still only the second step: no enrollment, nothing else.
    expect((await c.get('/api/v1/auth/session')).json().state).toBe('mfa_required');
    expect((await c.post('/api/v1/me/mfa/totp')).json().code).toBe('mfa_required');
    const factors = await t.ctx.db.selectFrom('mfa_factors').select('id').where('owner_id', '=', id).execute();
    expect(factors).toHaveLength(1);
    const audit = await t.ctx.db.selectFrom('audit_events').select('id').where('contact_id', '=', id).where('action', '=', 'mfa.setup_link.used').execute();
    expect(audit).toHaveLength(0);
  });
});
