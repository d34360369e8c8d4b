import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { COOKIES } from '../src/http/cookies.js';
import { hashToken } from '../src/crypto/hash.js';
import { generateToken } from '../src/crypto/random.js';
import { sessionIDHash } from '../src/sessions/service.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const MINUTE = 60_000;
const stored = async (subjectID: string) => (await t.ctx.db.selectFrom('sessions').select('id_hash').where('subject_id', '=', subjectID).execute()).map((r) => r.id_hash);

describe('session keys: stored in creation order, by the hash of the whole token', () => {
  it('a session token is its creation time and 256 random bits; only the time and the SHA-256 of the token are stored', async () => {
    const { id, email } = await signUpContact(t);
    const c = t.client();
    const before = t.clock.now().getTime();
    await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    const token = c.cookies.get(COOKIES.contact)!;
    expect(token).toMatch(/^[0-9a-f]{12}[A-Za-z0-9_-]{43}$/);
    expect(parseInt(token.slice(0, 12), 16)).toBe(before);
    expect(await stored(id)).toContain(token.slice(0, 12) + hashToken(token));
    expect((await stored(id)).some((k) => k.includes(token.slice(12)))).toBe(false);
  });

  it('a later session’s key sorts after an earlier one’s, so new keys go to the end of the index', async () => {
    const { id, email } = await signUpContact(t);
    const keys: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = t.client();
      await c.post('/api/v1/auth/login', { email, password: PASSWORD });
      keys.push(sessionIDHash(c.cookies.get(COOKIES.contact)!));
      t.clock.advance(MINUTE);
    }
    expect([...keys].sort()).toEqual(keys);
    expect((await stored(id)).filter((k) => keys.includes(k))).toHaveLength(3);
  });

  it('a token with its time or any random character changed finds no session', async () => {
    const { email } = await signUpContact(t);
    const c = t.client();
    await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    const token = c.cookies.get(COOKIES.contact)!;
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    for (const forged of [flip(token, 11), flip(token, 12), flip(token, token.length - 1), (parseInt(token.slice(0, 12), 16) + 1).toString(16).padStart(12, '0') + token.slice(12), token.slice(0, 54), token + 'A']) {
      const other = t.client();
      other.cookies.set(COOKIES.contact, forged);
      expect((await other.get('/api/v1/auth/session')).json().state, forged).toBe('anonymous');
    }
    expect((await c.get('/api/v1/auth/session')).json().state).toBe('authenticated');
  });

  it('a session stored before keys carried the time (43-character token, key = its hash) still signs its browser in', async () => {
    const { id, client } = await signUpContact(t);
    const old = generateToken();
    expect(old).toHaveLength(43);
    const at = t.clock.now();
    await t.ctx.db
      .insertInto('sessions')
      .values({ id_hash: hashToken(old), kind: 'contact', subject_id: id, level: 'full', created_at: at.toISOString(), last_seen_at: at.toISOString(), expires_at: new Date(at.getTime() + 60 * MINUTE).toISOString(), step_up_at: null, ip: null, user_agent: null })
      .execute();
    client.cookies.set(COOKIES.contact, old);
    expect((await client.get('/api/v1/auth/session')).json().state).toBe('authenticated');
    // Signing out ends it, as any session.
    expect((await client.post('/api/v1/auth/logout')).statusCode).toBeLessThan(300);
    expect(await t.ctx.db.selectFrom('sessions').select('id_hash').where('id_hash', '=', hashToken(old)).execute()).toEqual([]);
  });
});
