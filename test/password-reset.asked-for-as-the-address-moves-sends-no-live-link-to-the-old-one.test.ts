import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { createTestApp, dialectUnderTest, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { MailSink } from './helpers/mail-sink.js';
import * as accounts from '../src/accounts/service.js';
import { issueEmailToken } from '../src/accounts/email-tokens.js';
import { DAY } from '../src/clock.js';
import { waitForLockWaits } from './helpers/pg-locks.js';

// A customer moves their account to a new address because someone else reads the old mailbox.
// Confirming the move voids the reset links mailed to the old address. But a "forgot password"
// for the old address could read the account just before the move and issue its link just
// after: that link was not there to be voided, went to the old mailbox, and worked, so whoever
// reads that mailbox set the password after all. The request now reads the address again once
// it is queued with the move, and sends nothing when it changed.
// PostgreSQL only: SQLite runs one writing transaction at a time, and the request's first read
// cannot be held back there by a test.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const meta = { ip: '203.0.113.9', userAgent: 'test' };

async function liveResetLinks(id: string): Promise<number> {
  const rows = await t.ctx.db
    .selectFrom('email_tokens')
    .select('token_hash')
    .where('purpose', '=', 'password_reset')
    .where('subject_id', '=', id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', t.clock.now().toISOString())
    .execute();
  return rows.length;
}

describe.skipIf(dialectUnderTest !== 'postgres')('a reset link asked for while the address moves', () => {
  it('read before the move, issued after it: nothing goes to the old mailbox, and no link is left live', async () => {
    const { email: old, id } = await signUpContact(t);
    const moved = `moved-${randomBytes(4).toString('hex')}@example.com`;
    // A first request, well before: its link is mailed, and its address's email count exists.
    await accounts.requestPasswordReset(t.ctx, 'contact', old, meta);
    const before = MailSink.token(await t.mail.waitFor(old, 'Reset your password'), '/reset-password');

    // The next request reads the account, then waits on its address's email count (held here).
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let holds!: () => void;
    const holding = new Promise<void>((r) => (holds = r));
    const blocker = t.ctx.db.transaction().execute(async (trx) => {
      await sql`select key from rate_limits where key like 'mail:password-reset:contact:%' for update`.execute(trx);
      holds();
      await gate;
    });
    await holding;
    const racing = accounts.requestPasswordReset(t.ctx, 'contact', old, meta);
    await waitForLockWaits(t, 1);

    // Meanwhile the move is confirmed, and commits.
    const change = await issueEmailToken(t.ctx, t.ctx.db, 'email_change', 'contact', id, DAY, moved);
    await accounts.confirmEmailChange(t.ctx, 'contact', change, meta);
    release();
    await blocker;
    await racing;

    expect(await liveResetLinks(id)).toBe(0);
    // Give a wrongly sent second email the time to arrive, then try every link the old mailbox got.
    await new Promise((r) => setTimeout(r, 500));
    const links = t.mail.to(old).filter((m) => m.subject.includes('Reset your password')).map((m) => MailSink.token(m, '/reset-password'));
    expect(links).toContain(before);
    for (const token of links) {
      const r = await t.client().post('/api/v1/auth/password/reset', { token, password: 'the old mailbox’s pick' });
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json().code).toBe('invalid_token');
    }
    expect(links).toHaveLength(1);
    expect((await t.client().post('/api/v1/auth/login', { email: moved, password: PASSWORD })).statusCode).toBe(200);
    // Only the first request was audited: the racing one sent nothing.
    const asked = await t.ctx.db.selectFrom('audit_events').select('id').where('action', '=', 'auth.password.reset_requested').where('contact_id', '=', id).execute();
    expect(asked).toHaveLength(1);
  });

  it('issued first, then the move: the move waits for the link, and voids it', async () => {
    const { email: old, id } = await signUpContact(t);
    const moved = `moved-${randomBytes(4).toString('hex')}@example.com`;
    const change = await issueEmailToken(t.ctx, t.ctx.db, 'email_change', 'contact', id, DAY, moved);
    // The request's transaction pauses after it issued its link (the audit head held here).
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let holds!: () => void;
    const holding = new Promise<void>((r) => (holds = r));
    const blocker = t.ctx.db.transaction().execute(async (trx) => {
      await sql`select id from audit_head for update`.execute(trx);
      holds();
      await gate;
    });
    await holding;
    const racing = accounts.requestPasswordReset(t.ctx, 'contact', old, meta);
    await waitForLockWaits(t, 1);
    const confirming = accounts.confirmEmailChange(t.ctx, 'contact', change, meta);
    // The move queues behind the link being issued.
    await waitForLockWaits(t, 2);
    release();
    await blocker;
    await racing;
    await confirming;

    const link = MailSink.token(await t.mail.waitFor(old, 'Reset your password'), '/reset-password');
    const r = await t.client().post('/api/v1/auth/password/reset', { token: link, password: 'the old mailbox’s pick' });
    expect(r.json().code).toBe('invalid_token');
    expect(await liveResetLinks(id)).toBe(0);
    expect((await t.client().post('/api/v1/auth/login', { email: moved, password: PASSWORD })).statusCode).toBe(200);
  });
});
