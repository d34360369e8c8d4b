import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { staffWithMFA } from './helpers/mfa.js';

// A customer's ticket shows who in support answered by first name only. The staff member's
// full name and id stay with staff: whoever reads the ticket as the customer (the owner, or
// someone who got into the account) has no use for an internal id to cite to the help desk.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe("support's replies on a customer's ticket", () => {
  it('show the customer a first name and no staff id; staff see both', async () => {
    const { client, id: contactId } = await signUpContact(t, undefined, 'Casey Customer');
    const ticketId = (await client.post('/api/v1/me/tickets', { subject: 'Printer', message: 'It jams.' })).json().id;
    const agent = await staffWithMFA(t, 'agent');
    expect((await agent.client.post(`/api/v1/tickets/${ticketId}/replies`, { message: 'Try the tray.' })).statusCode).toBe(201);

    const own = await client.get(`/api/v1/me/tickets/${ticketId}`);
    expect(own.statusCode).toBe(200);
    expect(own.json().messages.map((m: { author: unknown }) => m.author)).toEqual([
      { type: 'contact', id: contactId, name: 'Casey Customer' },
      { type: 'staff', id: null, name: 'Agent (support)' },
    ]);
    expect(own.body).not.toContain(agent.id);

    const forStaff = (await agent.client.get(`/api/v1/tickets/${ticketId}`)).json().messages;
    expect(forStaff[1].author).toEqual({ type: 'staff', id: agent.id, name: 'Agent Person' });
  });
});
