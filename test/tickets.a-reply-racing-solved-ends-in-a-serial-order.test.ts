import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { staffWithRole } from './helpers/staff-session.js';

/**
 * PRODUCT.md §7 (a serial order). A staff reply moves an open ticket to pending; it decided from
 * the status read before its transaction and wrote pending whatever the ticket was by then. A
 * colleague marking the ticket solved at that moment was undone (PostgreSQL, 18 of 30 rounds in
 * review), where both serial orders end solved: reply then solve, or solve then a reply that
 * leaves a solved ticket solved.
 */
const ROUNDS = 12;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
});
afterAll(async () => {
  await t.close();
});

describe('a staff reply racing another staff member solving the ticket', () => {
  it(`${ROUNDS} rounds: the ticket ends solved, with the reply`, async () => {
    const customer = await signUpContact(t);
    const a = await staffWithRole(t, 'agent');
    const b = await staffWithRole(t, 'agent');
    for (let round = 0; round < ROUNDS; round++) {
      const ticket = (await customer.client.post('/api/v1/me/tickets', { subject: `Question ${round}`, message: 'Hello?' })).json();
      const [reply, solve] = await Promise.all([
        a.client.post(`/api/v1/tickets/${ticket.id}/replies`, { message: 'Answered.' }),
        b.client.patch(`/api/v1/tickets/${ticket.id}`, { status: 'solved' }),
      ]);
      expect(reply.statusCode, reply.body).toBe(201);
      expect(solve.statusCode, solve.body).toBe(200);
      const now = (await a.client.get(`/api/v1/tickets/${ticket.id}`)).json();
      expect({ round, status: now.status, replies: now.messages.filter((m: { body: string }) => m.body === 'Answered.').length }).toEqual({ round, status: 'solved', replies: 1 });
    }
    // Without the race, a reply still moves an open ticket to pending.
    const open = (await customer.client.post('/api/v1/me/tickets', { subject: 'Plain', message: 'Hi' })).json();
    await a.client.post(`/api/v1/tickets/${open.id}/replies`, { message: 'Hello.' });
    expect((await a.client.get(`/api/v1/tickets/${open.id}`)).json().status).toBe('pending');
  });
});
