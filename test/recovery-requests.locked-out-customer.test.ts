import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA } from './helpers/mfa.js';
import { MailSink } from './helpers/mail-sink.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('"Can\'t use any of your methods?"', () => {
  it('opens one MFA-recovery ticket from the second step, emails the owner a cancel link, and shows staff the request', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    const c = t.client();
    // Only after the password step.
    expect((await c.post('/api/v1/auth/mfa/recovery-requests', { message: 'lost phone' })).statusCode).toBe(401);
    await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    const r = await c.post('/api/v1/auth/mfa/recovery-requests', { message: 'I lost my phone <script>alert(1)</script>' });
    expect(r.statusCode, r.body).toBe(201);
    const { ticketId } = r.json();
    const again = await c.post('/api/v1/auth/mfa/recovery-requests', { message: 'hello?' });
    expect(again.statusCode).toBe(409);
    expect(again.json().ticketId).toBe(ticketId);
    // The pending sign-in still cannot read tickets.
    expect((await c.get(`/api/v1/me/tickets/${ticketId}`)).statusCode).toBe(401);

    const agent = await staffWithMFA(t, 'agent');
    const list = (await agent.client.get('/api/v1/tickets?recovery=true')).json().items;
    expect(list.map((x: { id: string }) => x.id)).toContain(ticketId);
    const ticket = (await agent.client.get(`/api/v1/tickets/${ticketId}`)).json();
    expect(ticket).toMatchObject({ recovery: true, status: 'open', contact: { id } });
    expect(ticket.messages[0].body).toBe('I lost my phone <script>alert(1)</script>');

    const mail = await t.mail.waitFor(email, 'A request to recover your account was opened');
    const token = MailSink.token(mail, '/recovery-requests/cancel');
    const cancel = await t.client().post('/api/v1/auth/recovery-requests/cancel', { token });
    expect(cancel.statusCode, cancel.body).toBe(200);
    const after = (await agent.client.get(`/api/v1/tickets/${ticketId}`)).json();
    expect(after.status).toBe('solved');
    expect(after.messages.at(-1).body).toMatch(/CANCELLED/);
    expect((await t.client().post('/api/v1/auth/recovery-requests/cancel', { token })).json().code).toBe('invalid_token');
    // A new request can be opened once the old one is closed.
    expect((await c.post('/api/v1/auth/mfa/recovery-requests', { message: 'it was me after all' })).statusCode).toBe(201);
  });

  it('is rate-limited and rejects bad input', async () => {
    const { client, email } = await signUpContact(t);
    await enrollTOTP(t, client);
    const c = t.client();
    await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await c.post('/api/v1/auth/mfa/recovery-requests', { message: '' })).statusCode).toBe(400);
    expect((await c.post('/api/v1/auth/mfa/recovery-requests', { message: 'x'.repeat(5001) })).statusCode).toBe(400);
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await c.post('/api/v1/auth/mfa/recovery-requests', { message: `try ${i}` });
      codes.push(r.statusCode);
    }
    expect(codes).toEqual([201, 409, 409, 429]);
  });
});
