import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, secretFromBase32, staffWithMFA } from './helpers/mfa.js';
import { MailSink } from './helpers/mail-sink.js';
import { BulkRunner } from '../src/recovery/bulk.js';
import { generateID } from '../src/crypto/random.js';
import { confirmEmailChange } from '../src/accounts/service.js';
import { issueEmailToken } from '../src/accounts/email-tokens.js';

/**
 * A bulk reset queues each contact's email as what it says (a few hundred bytes) and the
 * mailer renders it when it sends it, issuing the setup link then. Emails leave at a bounded
 * rate, or late when the mail provider is down: the link's 24 hours must start when the
 * customer can first read it, and a customer who has set up again meanwhile gets no link.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
});
afterAll(async () => {
  t.mail.refuse = false;
  await t.close();
});

const HOUR = 3600_000;

async function until(check: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** An enrolled, signed-out contact reset by a bulk job while the mail provider refuses mail. */
async function resetWhileMailIsDown() {
  const { client, email, id } = await signUpContact(t);
  await enrollTOTP(t, client);
  await client.post('/api/v1/auth/logout');
  // A new admin each time: the tests move the clock by days.
  const admin = await staffWithMFA(t, 'admin');
  await admin.stepUp();
  t.mail.refuse = true;
  const job = (await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { emails: [email] }, reason: 'provider breach' })).json();
  await new BulkRunner(t.ctx).runOnce();
  expect((await admin.client.get(`/api/v1/mfa/bulk-resets/${job.id}`)).json().status).toBe('completed');
  const queued = () => t.ctx.db.selectFrom('outbox').selectAll().where('recipient', '=', email).where('subject', '=', 'Your two-step verification was reset').executeTakeFirstOrThrow();
  await until(async () => (await queued()).attempts >= 1);
  return { email, id, queued, admin };
}

const setupTokens = (id: string) => t.ctx.db.selectFrom('email_tokens').select('expires_at').where('subject_id', '=', id).where('purpose', '=', 'mfa_setup').where('used_at', 'is', null).execute();

describe("a bulk reset's email", () => {
  it('is queued small, and its setup link is issued when it goes out: 24 hours from then', async () => {
    const { email, id, queued } = await resetWhileMailIsDown();
    const row = await queued();
    expect(row).toMatchObject({ text_body: '', html_body: '', sent_at: null });
    expect(row.rendered_at_delivery!.length).toBeLessThan(300);
    expect(row.last_error).toMatch(/451|mailbox unavailable/);

    // The provider is back 20 hours later.
    t.clock.advance(20 * HOUR);
    const sentAt = t.clock.now().getTime();
    t.mail.refuse = false;
    const mail = await t.mail.waitFor(email, 'Your two-step verification was reset');
    // One live link (each attempt issues its own and voids the one before), 24 hours from the sending.
    expect((await setupTokens(id)).map((r) => r.expires_at)).toEqual([new Date(sentAt + 24 * HOUR).toISOString()]);
    expect(mail.text).toContain('our support team reset the two-step verification of every affected account');
    const token = MailSink.token(mail, '/setup-mfa');
    await until(async () => (await queued()).sent_at !== null);
    // Sent bodies are not kept (they hold the link).
    expect(await queued()).toMatchObject({ text_body: '', html_body: '' });

    // 42 hours after the reset, 22 after the email: the link still works, once.
    t.clock.advance(22 * HOUR);
    const c = t.client();
    expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).json()).toMatchObject({ state: 'mfa_required', methods: ['setup_link', 'temporary_code'] });
    expect((await c.post('/api/v1/auth/setup-link', { token })).json().state).toBe('enrollment_required');
    const again = t.client();
    await again.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await again.post('/api/v1/auth/setup-link', { token })).json().code).toBe('invalid_token');
  });

  it('carries no link when the customer has set up again before it went out', async () => {
    const { email, id, queued, admin } = await resetWhileMailIsDown();
    // Support gives the customer a temporary code by phone (the admin's step-up from the job
    // still counts; a new one would move the clock); they sign in and set up a new app.
    const issued = await admin.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'lost phone, verified by callback', verification: { method: 'callback' }, ttlMinutes: 30 });
    expect(issued.statusCode, issued.body).toBe(201);
    const c = t.client();
    await c.post('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await c.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code: issued.json().code })).json().state).toBe('enrollment_required');
    // The clock stands still, so the refused email is not retried meanwhile.
    expect((await queued()).attempts).toBe(1);
    const start = await c.post('/api/v1/me/mfa/totp');
    const done = await c.post(`/api/v1/me/mfa/totp/${start.json().factorId}/confirm`, { code: codeFor(t, secretFromBase32(start.json().secret)) });
    expect(done.json().state).toBe('authenticated');

    t.mail.refuse = false;
    t.clock.advance(60_000); // the retry falls due
    const mail = await t.mail.waitFor(email, 'Your two-step verification was reset');
    expect(mail.text).not.toContain('/setup-mfa');
    await until(async () => (await queued()).sent_at !== null);
    expect(await setupTokens(id)).toHaveLength(0);
  });

  it('follows an address the customer moved to before it went out: the live link reaches the new mailbox, nothing the old one', async () => {
    const { email, id, queued } = await resetWhileMailIsDown();
    const row = await queued();
    // The customer confirms a move to a new address while the provider is still down.
    const moved = `moved-${id.slice(-8).toLowerCase()}@example.com`;
    await confirmEmailChange(t.ctx, 'contact', await issueEmailToken(t.ctx, t.ctx.db, 'email_change', 'contact', id, 24 * HOUR, moved), { ip: null, userAgent: null });

    t.clock.advance(HOUR);
    t.mail.refuse = false;
    const mail = await t.mail.waitFor(moved, 'Your two-step verification was reset');
    const token = MailSink.token(mail, '/setup-mfa');
    await until(async () => (await t.ctx.db.selectFrom('outbox').select('sent_at').where('id', '=', row.id).executeTakeFirstOrThrow()).sent_at !== null);
    // The outbox says where it went.
    expect((await t.ctx.db.selectFrom('outbox').select('recipient').where('id', '=', row.id).executeTakeFirstOrThrow()).recipient).toBe(moved);
    expect(t.mail.to(email).filter((m) => m.subject === 'Your two-step verification was reset')).toEqual([]);

    const c = t.client();
    expect((await c.post('/api/v1/auth/login', { email: moved, password: PASSWORD })).json().state).toBe('mfa_required');
    expect((await c.post('/api/v1/auth/setup-link', { token })).json().state).toBe('enrollment_required');
  });

  it('an email whose renderer is unknown fails like a refused delivery and is kept', async () => {
    const id = generateID('em');
    const at = t.clock.now().toISOString();
    await t.ctx.db
      .insertInto('outbox')
      .values({ id, recipient: 'x@example.com', subject: 'S', text_body: '', html_body: '', rendered_at_delivery: JSON.stringify({ renderer: 'nope', values: {} }), created_at: at, next_attempt_at: at, sent_at: null, last_error: null, locked_until: null })
      .execute();
    await until(async () => (await t.ctx.db.selectFrom('outbox').select('attempts').where('id', '=', id).executeTakeFirstOrThrow()).attempts >= 1);
    const row = await t.ctx.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ sent_at: null, last_error: 'no renderer "nope" for this email' });
    expect(t.mail.to('x@example.com')).toHaveLength(0);
  });
});
