import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { createStaff, createTestApp, dialectUnderTest, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { MailSink } from './helpers/mail-sink.js';
import { staffWithMFA } from './helpers/mfa.js';
import { holdLock, settled, waitForLockWaits } from './helpers/pg-locks.js';
import * as accounts from '../src/accounts/service.js';
import { issueEmailToken, queueWithIssuers } from '../src/accounts/email-tokens.js';
import { takeMFAAdvisoryLock } from '../src/mfa/store.js';
import { DAY } from '../src/clock.js';

// Confirming an email change took the change's token first, then the person, then voided the
// reset links; a password change, signing out everywhere and a reset link's use take the reset
// links first, then the person, then the email-change links. On PostgreSQL the two orders
// deadlocked, and the loser was answered 409: the owner's "sign out everywhere" or password
// change, or a deactivation, while the email change (perhaps an attacker's) went through. The
// confirmation now takes the rows in the same order as every other transaction of a person.
// And a staff reset that read the person before a move confirmed meanwhile mailed its setup
// link, live, to the address the person left: it now reads the address once queued.
// PostgreSQL only: SQLite runs one writing transaction at a time.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const meta = { ip: '203.0.113.9', userAgent: 'test' };
const fresh = () => `moved-${randomBytes(4).toString('hex')}@example.com`;

/** A customer with a live reset link (mailed) and a pending move to a new address. */
async function customerWithLinks() {
  const c = await signUpContact(t);
  await accounts.requestPasswordReset(t.ctx, 'contact', c.email, meta);
  const resetLink = MailSink.token(await t.mail.waitFor(c.email, 'Reset your password'), '/reset-password');
  const moved = fresh();
  const change = await issueEmailToken(t.ctx, t.ctx.db, 'email_change', 'contact', c.id, DAY, moved);
  return { ...c, resetLink, moved, change };
}

const ok = (status: number) => (r: { statusCode: number; body: string }) => {
  if (r.statusCode !== status) throw new Error(`${r.statusCode} ${r.body}`);
  return r.statusCode;
};

describe.skipIf(dialectUnderTest !== 'postgres')('an email change confirmed while the person acts', () => {
  it('signing out everywhere, paused at the sessions, then the confirmation: the sign-out succeeds and voids the move cleanly', async () => {
    const c = await customerWithLinks();
    const pause = holdLock(t, (trx) => sql`select id_hash from sessions where subject_id = ${c.id} for update`.execute(trx));
    await pause.held;
    const out = settled(c.client.post('/api/v1/auth/logout-everywhere').then(ok(204)));
    await waitForLockWaits(t, 1);
    const confirm = settled(accounts.confirmEmailChange(t.ctx, 'contact', c.change, meta));
    await waitForLockWaits(t, 2);
    await pause.release();
    expect(await out).toMatchObject({ ok: true });
    // Signing out everywhere voids a pending move (a stolen session may have asked for it):
    // the confirmation queued behind it is refused as a spent link, not as a deadlock.
    expect(await confirm).toMatchObject({ ok: false, error: expect.stringContaining('invalid_token') });
    expect((await accounts.getAccount(t.ctx, 'contact', c.id))?.email).toBe(c.email);
  });

  it('the confirmation, paused at the person, then signing out everywhere: both succeed', async () => {
    const c = await customerWithLinks();
    const pause = holdLock(t, (trx) => sql`select id from contacts where id = ${c.id} for share`.execute(trx));
    await pause.held;
    const confirm = settled(accounts.confirmEmailChange(t.ctx, 'contact', c.change, meta));
    await waitForLockWaits(t, 1);
    const out = settled(c.client.post('/api/v1/auth/logout-everywhere').then(ok(204)));
    await waitForLockWaits(t, 2);
    await pause.release();
    expect(await confirm).toMatchObject({ ok: true });
    expect(await out).toMatchObject({ ok: true });
  });

  it('a password change, paused at the person, then the confirmation: the change succeeds and voids the move cleanly', async () => {
    const c = await customerWithLinks();
    const pause = holdLock(t, (trx) => sql`select id from contacts where id = ${c.id} for share`.execute(trx));
    await pause.held;
    const change = settled(c.client.post('/api/v1/me/password', { currentPassword: PASSWORD, newPassword: 'a new one entirely' }).then(ok(200)));
    await waitForLockWaits(t, 1);
    const confirm = settled(accounts.confirmEmailChange(t.ctx, 'contact', c.change, meta));
    await waitForLockWaits(t, 2);
    await pause.release();
    expect(await change).toMatchObject({ ok: true });
    expect(await confirm).toMatchObject({ ok: false, error: expect.stringContaining('invalid_token') });
  });

  it('a reset link used, paused at the person, then the confirmation: the reset succeeds and voids the move cleanly', async () => {
    const c = await customerWithLinks();
    const pause = holdLock(t, (trx) => sql`select id from contacts where id = ${c.id} for share`.execute(trx));
    await pause.held;
    const reset = settled(accounts.resetPassword(t.ctx, 'contact', c.resetLink, 'brand new pass 1', meta));
    await waitForLockWaits(t, 1);
    const confirm = settled(accounts.confirmEmailChange(t.ctx, 'contact', c.change, meta));
    await waitForLockWaits(t, 2);
    await pause.release();
    expect(await reset).toMatchObject({ ok: true });
    // The reset voids the pending move (a reset is the answer to a stolen session): the
    // confirmation that queued behind it is refused cleanly, not as a deadlock.
    expect(await confirm).toMatchObject({ ok: false, error: expect.stringContaining('invalid_token') });
  });

  it("a staff member's own move, held up at the link issuers' queue, while an admin deactivates them: the deactivation succeeds and voids the move cleanly", async () => {
    const admin = await staffWithMFA(t, 'admin');
    const x = await createStaff(t, 'agent');
    const change = await issueEmailToken(t.ctx, t.ctx.db, 'email_change', 'staff', x.id, DAY, fresh());
    const pause = holdLock(t, (trx) => queueWithIssuers(t.ctx, trx, 'password_reset', 'staff', x.id));
    await pause.held;
    const confirm = settled(accounts.confirmEmailChange(t.ctx, 'staff', change, meta));
    await waitForLockWaits(t, 1);
    await admin.stepUp();
    const deactivation = settled(admin.client.patch(`/api/v1/staff/${x.id}`, { active: false }).then(ok(200)));
    // Before: the confirmation held the move's token and waited here; the deactivation voided
    // that token, and waited for it; the confirmation then wanted the staff row: a deadlock.
    await new Promise((r) => setTimeout(r, 300));
    await pause.release();
    expect(await deactivation).toMatchObject({ ok: true });
    expect(await confirm).toMatchObject({ ok: false, error: expect.stringContaining('invalid_token') });
  });

  it('a staff reset that read the person before the move mails its setup link to the new address, not the old', async () => {
    const sup = await staffWithMFA(t, 'supervisor');
    const { email: old, id } = await signUpContact(t);
    const moved = fresh();
    // The reset waits on the person's MFA lock, after its route read the person.
    const pause = holdLock(t, (trx) => takeMFAAdvisoryLock(trx, { kind: 'contact', id }));
    await pause.held;
    await sup.stepUp();
    const reset = sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'customer called', requireEnrollment: true });
    await waitForLockWaits(t, 1);
    await accounts.confirmEmailChange(t.ctx, 'contact', await issueEmailToken(t.ctx, t.ctx.db, 'email_change', 'contact', id, DAY, moved), meta);
    await pause.release();
    expect((await reset).statusCode).toBe(200);
    const mail = await t.mail.waitFor(moved, 'Your two-step verification was reset');
    expect(mail.text).toContain('/setup-mfa?token=');
    expect(t.mail.to(old).filter((m) => m.subject.includes('was reset'))).toEqual([]);
  });
});
