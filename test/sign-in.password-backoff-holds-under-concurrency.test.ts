import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';

// PRODUCT.md §7: per-account back-off on password guesses (5 free, then 1 s, 2 s, … up to
// 15 minutes). A try is counted by one conditional write before its password is checked, so
// guesses sent all at once get no more password checks than the same guesses one by one.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const login = (email: string, password: string) => t.client().post('/api/v1/auth/login', { email, password });

describe('the per-account password back-off under concurrency', () => {
  it('checks exactly 5 of 30 wrong passwords sent at once, refuses the other 25 with 429, and then refuses the right one too', async () => {
    const victim = await signUpContact(t);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => login(victim.email, `guess ${i}`)));
    const codes = answers.map((r) => `${r.statusCode} ${r.json().code}`);
    expect(codes.filter((c) => c === '401 invalid_credentials')).toHaveLength(5);
    expect(codes.filter((c) => c === '429 rate_limited')).toHaveLength(25);
    for (const r of answers) expect(String(r.headers['content-type'])).toContain('application/problem+json');
    // Only the five checked guesses were audited as failed sign-ins.
    const failed = await t.ctx.db.selectFrom('audit_events').select('id').where('action', '=', 'auth.login.failed').where('contact_id', '=', victim.id).execute();
    expect(failed).toHaveLength(5);
    // The account now waits a second, whatever the password.
    expect((await login(victim.email, PASSWORD)).statusCode).toBe(429);
    t.clock.advance(1_000);
    expect((await login(victim.email, PASSWORD)).statusCode).toBe(200);
  });

  it('after the wait, of many guesses at once exactly one is checked', async () => {
    const victim = await signUpContact(t);
    for (let i = 0; i < 5; i++) expect((await login(victim.email, `guess ${i}`)).statusCode).toBe(401);
    t.clock.advance(1_000);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => login(victim.email, `burst ${i}`)));
    expect(answers.filter((r) => r.statusCode === 401)).toHaveLength(1);
    expect(answers.filter((r) => r.statusCode === 429)).toHaveLength(19);
  });

  it('an unknown email backs off exactly like a known one', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => login('nobody-here@example.com', `guess ${i}`)));
    expect(answers.filter((r) => r.statusCode === 401)).toHaveLength(5);
    expect(answers.filter((r) => r.statusCode === 429)).toHaveLength(7);
  });

  it('a right password clears the count, so a later mistake is free again', async () => {
    const victim = await signUpContact(t);
    for (let i = 0; i < 4; i++) expect((await login(victim.email, `guess ${i}`)).statusCode).toBe(401);
    expect((await login(victim.email, PASSWORD)).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) expect((await login(victim.email, `again ${i}`)).statusCode).toBe(401);
    expect((await login(victim.email, 'one too many')).statusCode).toBe(429);
  });
});
