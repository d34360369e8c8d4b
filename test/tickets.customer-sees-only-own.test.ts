import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { staffWithRole } from './helpers/staff-session.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('tickets: a customer reaches only their own', () => {
  it('lists, reads and replies to own tickets; another customer\'s ticket is 404 and unchanged', async () => {
    const alice = await signUpContact(t, undefined, 'Alice Able');
    const bob = await signUpContact(t, undefined, 'Bob Baker');
    const opened = await alice.client.post('/api/v1/me/tickets', { subject: 'Printer on fire', message: 'It smells.' });
    expect(opened.statusCode).toBe(201);
    const ticket = opened.json();
    expect(ticket).toMatchObject({ id: expect.stringMatching(/^tk_/), contactId: alice.id, subject: 'Printer on fire', status: 'open', recovery: false });

    const own = await alice.client.get(`/api/v1/me/tickets/${ticket.id}`);
    expect(own.statusCode).toBe(200);
    expect(own.json().messages).toHaveLength(1);
    expect((await alice.client.get('/api/v1/me/tickets')).json().items.map((x: { id: string }) => x.id)).toEqual([ticket.id]);

    const peek = await bob.client.get(`/api/v1/me/tickets/${ticket.id}`);
    expect(peek.statusCode).toBe(404);
    expect(peek.headers['content-type']).toContain('application/problem+json');
    expect(peek.json().code).toBe('not_found');
    const reply = await bob.client.post(`/api/v1/me/tickets/${ticket.id}/replies`, { message: 'mine now' });
    expect(reply.statusCode).toBe(404);
    expect(reply.json().code).toBe('not_found');
    expect((await bob.client.get('/api/v1/me/tickets')).json().items).toEqual([]);
    // Nothing was added to Alice's ticket.
    expect((await alice.client.get(`/api/v1/me/tickets/${ticket.id}`)).json().messages).toHaveLength(1);

    // Unknown and malformed ids look exactly like another customer's.
    for (const id of ['tk_00000000000000000000000000', 'nope', 'ct_123']) {
      const r = await alice.client.get(`/api/v1/me/tickets/${id}`);
      expect(r.statusCode).toBe(404);
      expect(r.json().code).toBe('not_found');
    }
  });

  it('refuses tickets to anonymous visitors and to customers who have not confirmed their email', async () => {
    const anon = t.client();
    const r = await anon.post('/api/v1/me/tickets', { subject: 's', message: 'm' });
    expect(r.statusCode).toBe(401);
    expect(r.json().code).toBe('unauthenticated');
    expect((await anon.get('/api/v1/me/tickets')).json().code).toBe('unauthenticated');

    const c = t.client();
    const email = `unverified-${Date.now()}@example.com`;
    expect((await c.post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Una Verified' })).statusCode).toBe(201);
    expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).statusCode).toBe(200);
    const blocked = await c.post('/api/v1/me/tickets', { subject: 'Hello', message: 'World' });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().code).toBe('forbidden');
  });

  it('stores and returns ticket text exactly as typed, as JSON plain text', async () => {
    const { client } = await signUpContact(t);
    const subject = '<img src=x onerror=alert(1)> & "quotes"';
    const message = '<script>alert("x")</script>\n**not markdown** &amp; é 🙂';
    const r = await client.post('/api/v1/me/tickets', { subject, message });
    expect(r.statusCode).toBe(201);
    const got = await client.get(`/api/v1/me/tickets/${r.json().id}`);
    expect(got.headers['content-type']).toMatch(/^application\/json/);
    expect(got.json().subject).toBe(subject);
    expect(got.json().messages[0].body).toBe(message);
    const row = await t.ctx.db.selectFrom('ticket_messages').select('body').where('ticket_id', '=', r.json().id).executeTakeFirstOrThrow();
    expect(row.body).toBe(message);
  });

  it('lets staff see every ticket, reply (emailing the customer a link, not the text) and change status', async () => {
    const alice = await signUpContact(t, undefined, 'Alice Able');
    const ticket = (await alice.client.post('/api/v1/me/tickets', { subject: 'Refund please', message: 'Order 42' })).json();
    const agent = await staffWithRole(t, 'agent');

    const list = await agent.client.get('/api/v1/tickets?status=open');
    expect(list.statusCode).toBe(200);
    expect(list.json().items.some((x: { id: string }) => x.id === ticket.id)).toBe(true);
    const one = await agent.client.get(`/api/v1/tickets/${ticket.id}`);
    expect(one.json()).toMatchObject({ id: ticket.id, contact: { id: alice.id, email: alice.email } });

    const secret = 'The internal refund code is R-7731';
    const reply = await agent.client.post(`/api/v1/tickets/${ticket.id}/replies`, { message: secret });
    expect(reply.statusCode).toBe(201);
    const mail = await t.mail.waitFor(alice.email, 'New reply on your request');
    expect(mail.text).toContain(`/tickets/${ticket.id}`);
    expect(mail.text).not.toContain('R-7731');

    const seen = (await alice.client.get(`/api/v1/me/tickets/${ticket.id}`)).json();
    expect(seen.status).toBe('pending');
    expect(seen.messages[1]).toMatchObject({ body: secret, author: { type: 'staff', name: 'Agent (support)' } });

    const solved = await agent.client.patch(`/api/v1/tickets/${ticket.id}`, { status: 'solved' });
    expect(solved.statusCode).toBe(200);
    expect(solved.json().status).toBe('solved');
    // A customer's reply reopens it.
    expect((await alice.client.post(`/api/v1/me/tickets/${ticket.id}/replies`, { message: 'Still broken' })).statusCode).toBe(201);
    expect((await agent.client.get(`/api/v1/tickets/${ticket.id}`)).json().status).toBe('open');

    const bad = await agent.client.patch(`/api/v1/tickets/${ticket.id}`, { status: 'closed' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('invalid_input');
    for (const [method, path] of [
      ['GET', '/api/v1/tickets/tk_unknown'],
      ['PATCH', '/api/v1/tickets/tk_unknown'],
      ['POST', '/api/v1/tickets/tk_unknown/replies'],
    ] as const) {
      const r = await agent.client.request(method, path, method === 'GET' ? undefined : method === 'PATCH' ? { status: 'open' } : { message: 'hi' });
      expect(r.statusCode, `${method} ${path}`).toBe(404);
      expect(r.json().code).toBe('not_found');
    }
    // Customers cannot use the console's ticket routes.
    expect((await alice.client.get('/api/v1/tickets')).json().code).toBe('unauthenticated');
  });

  it('pages tickets newest first with a cursor and rejects a bad cursor or limit', async () => {
    const { client } = await signUpContact(t);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await client.post('/api/v1/me/tickets', { subject: `T${i}`, message: 'm' })).json().id);
    const p1 = (await client.get('/api/v1/me/tickets?limit=2')).json();
    expect(p1.items.map((x: { id: string }) => x.id)).toEqual([ids[4], ids[3]]);
    const p2 = (await client.get(`/api/v1/me/tickets?limit=2&cursor=${p1.nextCursor}`)).json();
    expect(p2.items.map((x: { id: string }) => x.id)).toEqual([ids[2], ids[1]]);
    const p3 = (await client.get(`/api/v1/me/tickets?limit=2&cursor=${p2.nextCursor}`)).json();
    expect(p3.items.map((x: { id: string }) => x.id)).toEqual([ids[0]]);
    expect(p3.nextCursor).toBeNull();
    for (const q of ['limit=0', 'limit=201', 'limit=abc', 'cursor=abc']) {
      const r = await client.get(`/api/v1/me/tickets?${q}`);
      expect(r.statusCode, q).toBe(400);
      expect(r.json().code).toBe('invalid_input');
    }
  });
});
