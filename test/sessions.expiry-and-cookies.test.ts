import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff, createTestApp, PASSWORD, signInStaff, signUpContact, type TestApp } from './helpers/app.js';
import { COOKIES } from '../src/http/cookies.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('sessions: cookies, rotation and expiry', () => {
  it('sets HttpOnly, SameSite=Lax cookies that are not Secure on plain localhost', async () => {
    const { email } = await signUpContact(t);
    const c = t.client();
    const s = await c.get('/api/v1/auth/session');
    const seed = s.cookies.find((x) => x.name === COOKIES.seed)!;
    expect(seed).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(seed.secure).toBeFalsy();
    const login = await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    const session = login.cookies.find((x) => x.name === COOKIES.contact)!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(session.secure).toBeFalsy();
    expect(String(login.headers['set-cookie'])).not.toMatch(/;\s*Secure/i);
    expect(login.headers['cache-control']).toBe('no-store');
  });

  it('sets Secure cookies when the public URL is https', async () => {
    const secure = await createTestApp({ env: { PUBLIC_URL: 'https://help.example.com' } });
    try {
      const r = await secure.client().get('/api/v1/auth/session');
      const seed = r.cookies.find((x) => x.name === COOKIES.seed)!;
      expect(seed).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: true });
    } finally {
      await secure.close();
    }
  });

  it('starts a new session id at sign-in, so a planted cookie is worthless', async () => {
    const { email } = await signUpContact(t);
    const c = t.client();
    await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    const first = c.cookies.get(COOKIES.contact)!;
    await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    const second = c.cookies.get(COOKIES.contact)!;
    expect(second).not.toBe(first);
    const old = t.client();
    old.cookies.set(COOKIES.contact, first);
    expect((await old.get('/api/v1/auth/session')).json().state).toBe('anonymous');
    // Only the hash of the token is stored: no stored key holds the token's random part.
    const rows = await t.ctx.db.selectFrom('sessions').select('id_hash').execute();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((r) => r.id_hash.includes(second.slice(-43)) || r.id_hash.includes(first.slice(-43)))).toBe(false);
  });

  it('a customer session ends after a day idle, and after 14 days however active', async () => {
    const { client } = await signUpContact(t);
    t.clock.advance(DAY - 60_000);
    expect((await client.get('/api/v1/me')).statusCode).toBe(200);
    t.clock.advance(DAY - 60_000);
    expect((await client.get('/api/v1/me')).statusCode).toBe(200);
    t.clock.advance(DAY + 1000);
    const idle = await client.get('/api/v1/me');
    expect(idle.statusCode).toBe(401);
    expect(idle.json().code).toBe('unauthenticated');

    const active = (await signUpContact(t)).client;
    // 14 steps of 23 hours (322 h) stay inside both limits; the 15th (345 h) passes 14 days
    // while still inside the idle window of the last request.
    for (let step = 0; step < 14; step++) {
      t.clock.advance(DAY - HOUR);
      expect((await active.get('/api/v1/me')).statusCode, `step ${step}`).toBe(200);
    }
    t.clock.advance(DAY - HOUR);
    expect((await active.get('/api/v1/me')).statusCode).toBe(401);
  });

  it('a staff session ends after 2 hours idle and after 12 hours however active', async () => {
    const agent = await createStaff(t, 'agent');
    const c = await signInStaff(t, agent.email);
    t.clock.advance(2 * HOUR + 1000);
    expect((await c.get('/api/v1/staff-me')).statusCode).toBe(401);
    const d = await signInStaff(t, agent.email);
    for (let i = 0; i < 11; i++) {
      t.clock.advance(HOUR);
      expect((await d.get('/api/v1/staff-me')).statusCode).toBe(200);
    }
    t.clock.advance(HOUR);
    expect((await d.get('/api/v1/staff-me')).statusCode).toBe(401);
  });

  it('customer and staff sessions are separate: one cookie never opens the other side', async () => {
    const email = `twin-${Date.now()}@example.com`;
    const { client } = await signUpContact(t, email);
    await createStaff(t, 'agent', email);
    expect((await client.get('/api/v1/staff-auth/session')).json().state).toBe('anonymous');
    expect((await client.get('/api/v1/tickets')).statusCode).toBe(401);
    const forged = t.client();
    forged.cookies.set(COOKIES.staff, client.cookies.get(COOKIES.contact)!);
    expect((await forged.get('/api/v1/staff-me')).statusCode).toBe(401);
  });

  it('changing the password ends every session: the others are revoked, this browser carries on under a new id; the old password stops working', async () => {
    const { client, email } = await signUpContact(t);
    const other = t.client();
    await other.post('/api/v1/auth/login', { email, password: PASSWORD });
    const wrong = await client.post('/api/v1/me/password', { currentPassword: 'not it at all', newPassword: 'a new password' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('invalid_credentials');
    expect((await other.get('/api/v1/me')).statusCode).toBe(200);
    const before = client.cookies.get(COOKIES.contact)!;
    const r = await client.post('/api/v1/me/password', { currentPassword: PASSWORD, newPassword: 'a new password' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ changed: true, sessionsRevoked: 1, csrfToken: expect.any(String) });
    expect(client.cookies.get(COOKIES.contact)).not.toBe(before);
    expect((await client.get('/api/v1/me')).statusCode).toBe(200);
    // A copy of the cookie from before the change is worthless.
    const copy = t.client();
    copy.cookies.set(COOKIES.contact, before);
    expect((await copy.get('/api/v1/me')).statusCode).toBe(401);
    // The new CSRF token works for the next change.
    expect((await client.patch('/api/v1/me', { name: 'Renamed' })).statusCode).toBe(200);
    expect((await other.get('/api/v1/me')).statusCode).toBe(401);
    await t.mail.waitFor(email, 'Your password was changed');
    expect((await t.client().post('/api/v1/auth/login', { email, password: PASSWORD })).statusCode).toBe(401);
    expect((await t.client().post('/api/v1/auth/login', { email, password: 'a new password' })).statusCode).toBe(200);
  });

  it('sign out everywhere ends every session of the person and no one else\'s', async () => {
    const { client, email } = await signUpContact(t);
    const second = t.client();
    await second.post('/api/v1/auth/login', { email, password: PASSWORD });
    const bystander = await signUpContact(t);
    expect((await client.post('/api/v1/auth/logout-everywhere')).statusCode).toBe(204);
    expect((await client.get('/api/v1/auth/session')).json().state).toBe('anonymous');
    expect((await second.get('/api/v1/auth/session')).json().state).toBe('anonymous');
    expect((await bystander.client.get('/api/v1/auth/session')).json().state).toBe('authenticated');
    const anon = await t.client().post('/api/v1/auth/logout-everywhere');
    expect(anon.statusCode).toBe(401);
    // Plain sign-out works signed out too.
    expect((await t.client().post('/api/v1/auth/logout')).statusCode).toBe(204);
  });

  it('a password alone (a pending second step) cannot sign the owner out everywhere', async () => {
    const { client, email } = await signUpContact(t);
    const { enrollTOTP } = await import('./helpers/mfa.js');
    await enrollTOTP(t, client);
    // Someone with the leaked password stops at the second step...
    const attacker = t.client();
    expect((await attacker.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
    const r = await attacker.post('/api/v1/auth/logout-everywhere');
    expect(r.statusCode).toBe(401);
    expect(r.json().code).toBe('mfa_required');
    // ...and the owner stays signed in. Plain sign-out still ends the pending session.
    expect((await client.get('/api/v1/auth/session')).json().state).toBe('authenticated');
    expect((await attacker.post('/api/v1/auth/logout')).statusCode).toBe(204);
    expect((await attacker.get('/api/v1/auth/session')).json().state).toBe('anonymous');
  });

  it('the profile: read and rename', async () => {
    const { client, email } = await signUpContact(t);
    expect((await client.get('/api/v1/me')).json()).toMatchObject({ email, name: 'Casey Customer', emailVerified: true });
    const r = await client.patch('/api/v1/me', { name: '  Casey Renamed  ' });
    expect(r.json().name).toBe('Casey Renamed');
    expect((await client.get('/api/v1/auth/session')).json().contact.name).toBe('Casey Renamed');
  });
});
