import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, staffWithMFA } from './helpers/mfa.js';

// The system's notes on a ticket are written for staff: what to check before acting on an MFA
// recovery request, the IP it came from, that the owner cancelled one as "not me", the reason a
// staff member gave. Whoever reads the ticket as the customer (the owner, or someone who got
// into the account) sees the conversation with support, not those notes.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('notes on a ticket', () => {
  it('staff see the system\'s notes on a recovery request; the customer sees their message and support\'s reply only', async () => {
    const { client, email } = await signUpContact(t);
    const totp = await enrollTOTP(t, client);
    const c = t.client();
    await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    const ticketId = (await c.post('/api/v1/auth/mfa/recovery-requests', { message: 'I lost my phone' })).json().ticketId;
    const agent = await staffWithMFA(t, 'agent');
    expect((await agent.client.post(`/api/v1/tickets/${ticketId}/replies`, { message: 'We will call you back.' })).statusCode).toBe(201);

    const forStaff = (await agent.client.get(`/api/v1/tickets/${ticketId}`)).json().messages;
    expect(forStaff.some((m: { body: string }) => /check the caller's identity/.test(m.body))).toBe(true);

    nextStep(t);
    expect((await c.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, totp.secret) })).json().state).toBe('authenticated');
    const own = await c.get(`/api/v1/me/tickets/${ticketId}`);
    expect(own.statusCode).toBe(200);
    expect(own.json().messages.map((m: { body: string }) => m.body)).toEqual(['I lost my phone', 'We will call you back.']);
  });
});
