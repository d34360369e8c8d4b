import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestApp, dialectUnderTest, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { MailSink } from './helpers/mail-sink.js';
import { enrollTOTP, staffWithMFA } from './helpers/mfa.js';
import { holdLock, settled, waitForLockWaits } from './helpers/pg-locks.js';
import { runDuePendingActions } from '../src/recovery/pending-actions.js';

// The waiting-period runner wrote a due action's row first (its conditional UPDATE) and took the
// person's MFA lock after it, in applyReset. The owner's "it was not me" on their recovery
// request takes that MFA lock first and then cancels the person's pending actions: on
// PostgreSQL the two deadlocked, and the runner lost (40P01) in 12 of 15 rounds in review, or
// the owner's cancel did. The runner now takes the person's MFA lock before the action's row,
// for every kind of action, and so do a staff cancel and the emailed cancel; the cancellations
// when the scheduler loses their rights take no MFA lock and queue on the row. Each race below
// ends in one of the serial orders, with no deadlock, 409 or 500.
// PostgreSQL only: SQLite runs one writing transaction at a time.

const DAY_AND_A_BIT = 24 * 3600_000 + 1000;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  const admin = await staffWithMFA(t, 'admin');
  await admin.stepUp();
  expect((await admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'race test' })).statusCode).toBe(200);
});
afterAll(async () => {
  await t.close();
});

/** A lock held for a race (holdLock), released after the test whatever happens, so that a failed test leaves nothing waiting. */
const holds: Array<{ release(): Promise<void> }> = [];
afterEach(async () => {
  for (const h of holds.splice(0)) await h.release();
});
function pauseAt(take: Parameters<typeof holdLock>[1]): ReturnType<typeof holdLock> {
  const h = holdLock(t, take);
  holds.push(h);
  return h;
}

type Kind = 'reset' | 'temporary-codes';

/**
 * A customer with a factor, an open recovery request (its "it was not me" link), and a change a
 * supervisor scheduled on it (its emailed cancel link), now due.
 */
async function dueAction(kind: Kind) {
  const { client, email, id } = await signUpContact(t);
  await enrollTOTP(t, client);
  const caller = t.client();
  expect((await caller.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
  const request = await caller.post('/api/v1/auth/mfa/recovery-requests', { message: 'I lost my phone' });
  expect(request.statusCode, request.body).toBe(201);
  const notMe = MailSink.token(await t.mail.waitFor(email, 'A request to recover your account was opened'), '/recovery-requests/cancel');
  const sup = await staffWithMFA(t, 'supervisor');
  await sup.stepUp();
  const scheduled = await sup.client.post(`/api/v1/contacts/${id}/mfa/${kind}`, { reason: 'recovery ticket' });
  expect(scheduled.statusCode, scheduled.body).toBe(202);
  const cancelLink = MailSink.token(await t.mail.waitFor(email, 'Our support team will change your two-step verification'), '/pending-actions/cancel');
  t.clock.advance(DAY_AND_A_BIT);
  const owner = t.client();
  owner.headers['x-csrf-token'] = await owner.csrfToken('/api/v1/auth/recovery-requests/cancel');
  // An admin signed in since (the day that passed ended every earlier console session).
  const admin = await staffWithMFA(t, 'admin');
  await admin.stepUp();
  return { id, email, sup, admin, owner, notMe, cancelLink, ticketId: request.json().ticketId as string, pa: scheduled.json().pendingActionId as string };
}

/** Where the action and the customer's MFA stand. */
async function outcome(id: string, pa: string) {
  const db = t.ctx.db;
  const { status } = await db.selectFrom('pending_actions').select('status').where('id', '=', pa).executeTakeFirstOrThrow();
  const factors = (await db.selectFrom('mfa_factors').select('id').where('owner_id', '=', id).where('status', '=', 'active').execute()).length;
  const resets = (await db.selectFrom('audit_events').select('id').where('contact_id', '=', id).where('action', '=', 'mfa.reset').execute()).length;
  const liveCodes = (await db.selectFrom('temporary_codes').select('id').where('owner_id', '=', id).where('voided_at', 'is', null).where('used_at', 'is', null).execute()).length;
  return { status, factors, resets, liveCodes };
}

/** Each serial order's end: cancelled, nothing changed; or done, the change made (and any code the "not me" voided). */
function expectSerial(kind: Kind, o: Awaited<ReturnType<typeof outcome>>, notMeCameLast = false) {
  if (kind === 'reset') {
    expect(o).toMatchObject(o.status === 'cancelled' ? { factors: 1, resets: 0 } : { status: 'done', factors: 0, resets: 1 });
  } else {
    expect(['cancelled', 'done']).toContain(o.status);
    expect(o.factors).toBe(1);
    if (o.status === 'cancelled' || notMeCameLast) expect(o.liveCodes).toBe(0);
  }
}

/** The runner queued behind the lock the test arranged, or (a runner that does not wait there) finished. */
async function runnerQueuedOrDone(n: number, run: Promise<unknown>): Promise<void> {
  let done = false;
  void run.then(() => (done = true));
  for (let i = 0; i < 4 && !done; i++) {
    try {
      await waitForLockWaits(t, n);
      return;
    } catch {
      // waitForLockWaits gave up (5 s): fine once the runner is done, else look again.
    }
  }
  if (!done) throw new Error('the runner neither queued nor finished');
}

const hold = (take: string) => pauseAt((trx) => sql.raw(take).execute(trx));

describe.skipIf(dialectUnderTest !== 'postgres')('the waiting-period runner racing the cancels of a due action', { timeout: 90_000 }, () => {
  for (const kind of ['reset', 'temporary-codes'] as const) {
    it(`${kind}: the owner's "it was not me", holding the MFA lock, then the runner: both succeed, the action cancelled`, async () => {
      const a = await dueAction(kind);
      // The ticket's row, held, stops the cancel right after it took the person's MFA lock.
      const pause = pauseAt((trx) => sql`select id from tickets where id = ${a.ticketId} for update`.execute(trx));
      await pause.held;
      const notMe = a.owner.post('/api/v1/auth/recovery-requests/cancel', { token: a.notMe });
      await waitForLockWaits(t, 1);
      const run = settled(runDuePendingActions(t.ctx));
      await runnerQueuedOrDone(2, run);
      await pause.release();
      const [cancel, ran] = await Promise.all([notMe, run]);
      expect(cancel.statusCode, cancel.body).toBe(200);
      // Before: the runner held the action's row, waited for the MFA lock, and was the deadlock's loser.
      expect(ran.ok ? 'ok' : ran.error).toBe('ok');
      const o = await outcome(a.id, a.pa);
      expect(o.status).toBe('cancelled');
      expectSerial(kind, o);
    });

    it(`${kind}: the runner, paused at its audit entry, then the owner's "it was not me": both succeed, the action done`, async () => {
      const a = await dueAction(kind);
      const pause = hold('select seq from audit_head where id = 1 for update');
      await pause.held;
      const run = settled(runDuePendingActions(t.ctx));
      await waitForLockWaits(t, 1);
      const notMe = a.owner.post('/api/v1/auth/recovery-requests/cancel', { token: a.notMe });
      await waitForLockWaits(t, 2);
      await pause.release();
      const [ran, cancel] = await Promise.all([run, notMe]);
      expect(ran.ok ? 'ok' : ran.error).toBe('ok');
      expect(cancel.statusCode, cancel.body).toBe(200);
      const o = await outcome(a.id, a.pa);
      expect(o.status).toBe('done');
      expectSerial(kind, o, true);
    });
  }

  it("a staff cancel, paused at its audit entry, then the runner: the cancel succeeds and the runner finds nothing to do", async () => {
    const a = await dueAction('reset');
    const { admin } = a;
    admin.client.headers['x-csrf-token'] = await admin.client.csrfToken(`/api/v1/pending-actions/${a.pa}/cancel`);
    const pause = hold('select seq from audit_head where id = 1 for update');
    await pause.held;
    const cancel = admin.client.post(`/api/v1/pending-actions/${a.pa}/cancel`, { reason: 'the caller failed the callback' });
    await waitForLockWaits(t, 1);
    const run = settled(runDuePendingActions(t.ctx));
    await waitForLockWaits(t, 2);
    await pause.release();
    const [c, ran] = await Promise.all([cancel, run]);
    expect(c.statusCode, c.body).toBe(200);
    expect(ran.ok ? 'ok' : ran.error).toBe('ok');
    expect(await outcome(a.id, a.pa)).toMatchObject({ status: 'cancelled', factors: 1, resets: 0 });
  });

  it('the emailed cancel of a temporary code, paused at its audit entry, then the runner: the code is taken back and never announced', async () => {
    const a = await dueAction('temporary-codes');
    const owner = t.client();
    owner.headers['x-csrf-token'] = await owner.csrfToken('/api/v1/auth/pending-actions/cancel');
    const pause = hold('select seq from audit_head where id = 1 for update');
    await pause.held;
    const cancel = owner.post('/api/v1/auth/pending-actions/cancel', { token: a.cancelLink });
    await waitForLockWaits(t, 1);
    const run = settled(runDuePendingActions(t.ctx));
    await waitForLockWaits(t, 2);
    await pause.release();
    const [c, ran] = await Promise.all([cancel, run]);
    expect(c.statusCode, c.body).toBe(200);
    expect(ran.ok ? 'ok' : ran.error).toBe('ok');
    expect(await outcome(a.id, a.pa)).toMatchObject({ status: 'cancelled', factors: 1, liveCodes: 0 });
    expect(t.mail.to(a.email).filter((m) => m.subject.includes('is now active'))).toEqual([]);
  });

  it("the scheduler's deactivation, paused at its audit entries, then the runner: the action is cancelled and never run", async () => {
    const a = await dueAction('reset');
    const { admin } = a;
    admin.client.headers['x-csrf-token'] = await admin.client.csrfToken(`/api/v1/staff/${a.sup.id}`);
    const pause = hold('select seq from audit_head where id = 1 for update');
    await pause.held;
    const off = admin.client.patch(`/api/v1/staff/${a.sup.id}`, { active: false });
    await waitForLockWaits(t, 1);
    const run = settled(runDuePendingActions(t.ctx));
    await waitForLockWaits(t, 2);
    await pause.release();
    const [d, ran] = await Promise.all([off, run]);
    expect(d.statusCode, d.body).toBe(200);
    expect(ran.ok ? 'ok' : ran.error).toBe('ok');
    expect(await outcome(a.id, a.pa)).toMatchObject({ status: 'cancelled', factors: 1, resets: 0 });
  });

  it('8 rounds of the runner and the owner\'s "it was not me" at once, resets and codes: never a deadlock, always a serial order', async () => {
    const bad: string[] = [];
    for (let round = 0; round < 8; round++) {
      const kind: Kind = round % 2 === 0 ? 'reset' : 'temporary-codes';
      const a = await dueAction(kind);
      const [cancel, ran] = await Promise.all([a.owner.post('/api/v1/auth/recovery-requests/cancel', { token: a.notMe }), settled(runDuePendingActions(t.ctx))]);
      if (cancel.statusCode !== 200) bad.push(`round ${round} (${kind}): cancel ${cancel.statusCode} ${cancel.body}`);
      if (!ran.ok) bad.push(`round ${round} (${kind}): runner ${ran.error}`);
      try {
        expectSerial(kind, await outcome(a.id, a.pa), true);
      } catch (e) {
        bad.push(`round ${round} (${kind}): ${(e as Error).message}`);
      }
    }
    expect(bad).toEqual([]);
  }, 180_000);
});
