import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { MailSink } from './helpers/mail-sink.js';

// PRODUCT.md §7: per-account limits on sign-up and password reset. Forgot-password and sign-up
// with an address that has an account both email that address; counted per IP only, anyone
// rotating IPs could bomb a customer's mailbox, and (each reset request voiding the one before)
// keep killing the reset link the customer is about to use. Beyond a few emails per hour per
// address nothing more is sent, while the answer stays exactly the one an unknown address
// gets, so the limit does not tell anyone which addresses have accounts.

const LIMIT = 3;
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_EMAILS_PER_ADDRESS_PER_HOUR: String(LIMIT) } });
});
afterAll(async () => {
  await t.close();
});

const fresh = (p: string) => `${p}-${randomBytes(4).toString('hex')}@example.com`;
const RESET = 'Reset your password';
const EXISTING = 'Someone tried to sign up with your email address';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Emails queued for an address with that subject, once no more have come for a while (the forgot work runs after the answer). */
async function settled(email: string, subject: string): Promise<number> {
  const count = async () =>
    Number((await t.ctx.db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).where('recipient', 'like', `%${email}%`).where('subject', '=', subject).executeTakeFirstOrThrow()).n);
  let last = await count();
  for (let quiet = 0; quiet < 8; ) {
    await new Promise((r) => setTimeout(r, 50));
    const n = await count();
    quiet = n === last ? quiet + 1 : 0;
    last = n;
  }
  return last;
}

function sameAnswer(a: { statusCode: number; headers: Record<string, unknown>; body: string }, b: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  expect(a.statusCode).toBe(b.statusCode);
  expect(a.body).toBe(b.body);
  expect(a.headers['content-type']).toBe(b.headers['content-type']);
  expect(a.headers['retry-after']).toBeUndefined();
}

describe('emails to one address are limited per hour, silently', () => {
  it('forgot-password: only the first few requests email, the live link survives the rest, and the answer never changes', async () => {
    const { email, id } = await signUpContact(t);
    const unknown = await t.client().post('/api/v1/auth/password/forgot', { email: fresh('nobody') });
    expect(unknown.statusCode).toBe(202);
    // The owner's own requests, one after another: each emails a link that voids the one before.
    for (let i = 0; i < LIMIT; i++) {
      sameAnswer(await t.client().post('/api/v1/auth/password/forgot', { email }), unknown);
      for (let j = 0; j < 100 && t.mail.to(email).filter((m) => m.subject === RESET).length <= i; j++) await new Promise((r) => setTimeout(r, 50));
    }
    const mails = t.mail.to(email).filter((m) => m.subject === RESET);
    expect(mails).toHaveLength(LIMIT);
    const lastToken = MailSink.token(mails[LIMIT - 1], '/reset-password');
    // Then someone else's, from anywhere: the same answer, no email, and the live link is not voided.
    for (let i = 0; i < 10; i++) {
      // Upper case is the same address.
      const r = await t.client().post('/api/v1/auth/password/forgot', { email: i % 2 ? email.toUpperCase() : email }, { 'x-forwarded-for': `10.9.0.${i}` });
      sameAnswer(r, unknown);
    }
    expect(await settled(email, RESET)).toBe(LIMIT);
    const live = await t.ctx.db.selectFrom('email_tokens').select('token_hash').where('purpose', '=', 'password_reset').where('subject_id', '=', id).where('used_at', 'is', null).execute();
    expect(live).toHaveLength(1);
    expect((await t.client().post('/api/v1/auth/password/reset', { token: lastToken, password: 'the owner chose this' })).statusCode).toBe(200);
    expect((await t.client().post('/api/v1/auth/login', { email, password: 'the owner chose this' })).statusCode).toBe(200);

    // An hour later the address may be emailed again.
    t.clock.advance(60 * 60_000 + 1000);
    expect((await t.client().post('/api/v1/auth/password/forgot', { email })).statusCode).toBe(202);
    expect(await settled(email, RESET)).toBe(LIMIT + 1);
  });

  it('forgot-password: 20 requests at once email no more than the limit', async () => {
    const { email } = await signUpContact(t);
    const clients = Array.from({ length: 20 }, () => t.client());
    for (const c of clients) await c.get('/api/v1/auth/session');
    const rs = await Promise.all(clients.map((c) => c.post('/api/v1/auth/password/forgot', { email })));
    for (const r of rs) expect(r.statusCode).toBe(202);
    expect(await settled(email, RESET)).toBe(LIMIT);
    // The limit is per address: another customer is still emailed.
    const other = await signUpContact(t);
    await t.client().post('/api/v1/auth/password/forgot', { email: other.email });
    await t.mail.waitFor(other.email, RESET);
  });

  it('sign-up with a taken address: only the first few tell the owner, and the answer is the one a new address gets', async () => {
    const { email } = await signUpContact(t);
    const newcomer = await t.client().post('/api/v1/auth/signup', { email: fresh('new'), password: PASSWORD, name: 'New' });
    expect(newcomer.statusCode).toBe(201);
    for (let i = 0; i < 10; i++) sameAnswer(await t.client().post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Impostor' }), newcomer);
    expect(await settled(email, EXISTING)).toBe(LIMIT);

    const victim = await signUpContact(t);
    const clients = Array.from({ length: 20 }, () => t.client());
    for (const c of clients) await c.get('/api/v1/auth/session');
    const rs = await Promise.all(clients.map((c) => c.post('/api/v1/auth/signup', { email: victim.email, password: PASSWORD, name: 'Impostor' })));
    for (const r of rs) sameAnswer(r, newcomer);
    expect(await settled(victim.email, EXISTING)).toBe(LIMIT);
    // Sign-up still works for new addresses, and verification emails are not held back.
    const brandNew = fresh('brand-new');
    expect((await t.client().post('/api/v1/auth/signup', { email: brandNew, password: PASSWORD, name: 'B' })).statusCode).toBe(201);
    await t.mail.waitFor(brandNew, 'Confirm your email');
  });

  it('sign-up with a limited address answers after about as long as with an unknown one', async () => {
    // Forgot-password answers before it even looks the address up, so its time cannot depend on
    // the limit; sign-up does its work before answering, so it is timed here (the argon2id hash
    // both do dominates, ~10 ms, against well under 1 ms for the database work).
    const { email } = await signUpContact(t);
    for (let i = 0; i < LIMIT; i++) await t.client().post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Fill' });
    const limited: number[] = [];
    const unknown: number[] = [];
    // Interleaved, so that whatever else the machine does hits both alike.
    for (let i = 0; i < 9; i++) {
      for (const [who, into] of [
        [email, limited],
        [fresh('timing'), unknown],
      ] as const) {
        const c = t.client();
        await c.get('/api/v1/auth/session');
        const started = performance.now();
        const r = await c.post('/api/v1/auth/signup', { email: who, password: PASSWORD, name: 'T' });
        into.push(performance.now() - started);
        expect(r.statusCode).toBe(201);
      }
    }
    const show = `limited ${limited.map((x) => x.toFixed(1))} vs unknown ${unknown.map((x) => x.toFixed(1))}`;
    expect(median(limited) / median(unknown), show).toBeGreaterThan(0.4);
    expect(median(limited) / median(unknown), show).toBeLessThan(2.5);
    expect(await settled(email, EXISTING)).toBe(LIMIT);
  });
});
