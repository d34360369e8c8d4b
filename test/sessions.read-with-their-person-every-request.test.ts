import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { staffWithRole } from './helpers/staff-session.js';
import { COOKIES } from '../src/http/cookies.js';

// A signed-in request reads its session and its person in one statement (src/sessions/store.ts):
// what it learns of the person must still be what the person is at that moment.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('a session is read with its person, afresh on every request', () => {
  it('a name changed in another browser shows in this one at its next request', async () => {
    const { client, email } = await signUpContact(t);
    const other = t.client();
    await other.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await other.patch('/api/v1/me', { name: 'Renamed Elsewhere' })).statusCode).toBe(200);
    expect((await client.get('/api/v1/me')).json().name).toBe('Renamed Elsewhere');
    expect((await client.get('/api/v1/auth/session')).json().contact.name).toBe('Renamed Elsewhere');
  });

  it('a staff member made inactive is refused at the next request, though the session row is still there', async () => {
    const agent = await staffWithRole(t, 'agent');
    expect((await agent.client.get('/api/v1/staff-me')).statusCode).toBe(200);
    await t.ctx.db.updateTable('staff').set({ active: 0 }).where('id', '=', agent.account.id).execute();
    const r = await agent.client.get('/api/v1/staff-me');
    expect(r.statusCode).toBe(401);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(await t.ctx.db.selectFrom('sessions').select('id_hash').where('kind', '=', 'staff').where('subject_id', '=', agent.account.id).execute()).not.toEqual([]);
  });

  it('a session of one kind never signs its cookie in as the other kind', async () => {
    const agent = await staffWithRole(t, 'agent');
    const { client } = await signUpContact(t);
    const staffToken = agent.client.cookies.get(COOKIES.staff)!;
    const contactToken = client.cookies.get(COOKIES.contact)!;
    const swapped = t.client();
    swapped.cookies.set(COOKIES.contact, staffToken);
    swapped.cookies.set(COOKIES.staff, contactToken);
    expect((await swapped.get('/api/v1/auth/session')).json().state).toBe('anonymous');
    expect((await swapped.get('/api/v1/me')).statusCode).toBe(401);
    expect((await swapped.get('/api/v1/staff-me')).statusCode).toBe(401);
  });
});
