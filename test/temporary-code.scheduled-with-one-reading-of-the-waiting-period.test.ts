import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { FakeClock } from '../src/clock.js';
import { whenText } from '../src/recovery/pending-actions.js';
import { createTestApp, dialectUnderTest, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { holdLock, settled, waitForLockWaits } from './helpers/pg-locks.js';

// A temporary code issued under the waiting period is held back until the period ends, and a
// pending action falls due at the same moment; the customer is emailed that moment, with a link
// to cancel before it. The issue read the settings three times, none held (whether the period
// applies, the hours the code is held back by, the hours the action is scheduled for), and the
// time twice: an admin raising the period from 1 to 24 hours during an issue gave a code that
// worked after 1 hour while the action and the email said 24, so a caller signed in while the
// owner believed they had a day to cancel. The action now reads the settings once, held (a
// change comes wholly before or after it), and the time once, for the code and the action alike.

/** A clock that moves on a millisecond each time it is read, as a real one does between two reads. */
class TickingClock extends FakeClock {
  override now(): Date {
    const at = super.now();
    this.advance(1);
    return at;
  }
}

let t: TestApp;
let admin: StaffWithMFA;
let sup: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false, clock: new TickingClock(new Date()) });
  admin = await staffWithMFA(t, 'admin');
  sup = await staffWithMFA(t, 'supervisor');
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

async function setWaitingPeriod(hours: number): Promise<void> {
  await admin.stepUp();
  const r = await admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: hours, reason: `waiting period ${hours} h` });
  expect(r.statusCode, r.body).toBe(200);
}

async function customer() {
  const c = await signUpContact(t);
  await enrollTOTP(t, c.client);
  return c;
}

const SCHEDULED_SUBJECT = 'Our support team will change your two-step verification';

/**
 * Everything that says when an issued code's scheduled action happens: the code's valid_from,
 * the action's effective_at, the customer's email (the `nth` such email to them), and the
 * audit entries.
 */
async function whatWasScheduled(contact: { id: string; email: string }, pendingActionId: string, nth = 1) {
  const db = t.ctx.db;
  const action = await db.selectFrom('pending_actions').select(['effective_at', 'created_at']).where('id', '=', pendingActionId).executeTakeFirstOrThrow();
  // The one code left live: a new code voids the earlier ones.
  const code = await db.selectFrom('temporary_codes').select(['valid_from', 'created_at']).where('owner_id', '=', contact.id).where('voided_at', 'is', null).executeTakeFirstOrThrow();
  const audits = await db.selectFrom('audit_events').select(['action', 'details']).where('contact_id', '=', contact.id).where('action', 'in', ['mfa.pending_action.scheduled', 'mfa.temporary_code.issued']).execute();
  const detailsOf = (action: string) =>
    audits.map((e) => ({ action: e.action, details: JSON.parse(e.details as string) })).find((e) => e.action === action && e.details.pendingActionId === pendingActionId)!.details;
  const mails = () => t.mail.to(contact.email).filter((m) => m.subject.includes(SCHEDULED_SUBJECT));
  for (let i = 0; i < 100 && mails().length < nth; i++) await new Promise((r) => setTimeout(r, 50));
  return {
    effectiveAt: action.effective_at,
    scheduledAt: action.created_at,
    validFrom: code.valid_from,
    codeIssuedAt: code.created_at,
    emailed: /on (\d{4}-\d\d-\d\d \d\d:\d\d UTC)/.exec(mails()[nth - 1]?.text ?? '')?.[1],
    auditedHours: detailsOf('mfa.pending_action.scheduled').waitingPeriodHours as number,
    auditedValidFrom: detailsOf('mfa.temporary_code.issued').validFrom as string,
  };
}

/** One reading: the code works from the instant the action falls due, and everything says so. */
function expectOneReading(s: Awaited<ReturnType<typeof whatWasScheduled>>, hours: number) {
  expect(s.validFrom).toBe(s.effectiveAt);
  expect(s.auditedValidFrom).toBe(s.effectiveAt);
  expect(s.emailed).toBe(whenText(s.effectiveAt));
  expect(s.auditedHours).toBe(hours);
  expect(Date.parse(s.effectiveAt) - Date.parse(s.scheduledAt)).toBe(hours * 3600_000);
}

describe('a temporary code scheduled under the waiting period', () => {
  it('works from the very instant its action falls due, as the email and the audit log say (one reading of the period and of the time)', async () => {
    await setWaitingPeriod(24);
    const c = await customer();
    await sup.stepUp();
    const r = await sup.client.post(`/api/v1/contacts/${c.id}/mfa/temporary-codes`, { reason: 'caller locked out' });
    expect(r.statusCode, r.body).toBe(202);
    const s = await whatWasScheduled(c, r.json().pendingActionId);
    // Read twice, a real clock had moved on between the code's hold-back and the action's time:
    // the code worked a moment before the action it belongs to fell due.
    expectOneReading(s, 24);
    expect(r.json().effectiveAt).toBe(s.validFrom);
  });
});

describe.skipIf(dialectUnderTest !== 'postgres')('a waiting period changed while a temporary code is being issued', () => {
  it('raised from 1 to 24 hours after the issue read it: the code, the action, the email and the audit all keep 1 hour, and the change comes after', async () => {
    await setWaitingPeriod(1);
    const c = await customer();
    await sup.stepUp();
    // An earlier scheduled code, which the new issue voids: its row, held, stops the new issue
    // after it read the settings and before it schedules the action.
    const first = await sup.client.post(`/api/v1/contacts/${c.id}/mfa/temporary-codes`, { reason: 'first call' });
    expect(first.statusCode, first.body).toBe(202);
    const pause = pauseAt((trx) => sql`select id from temporary_codes where owner_id = ${c.id} and voided_at is null for update`.execute(trx));
    await pause.held;
    await sup.stepUp();
    await admin.stepUp();
    const issue = sup.client.post(`/api/v1/contacts/${c.id}/mfa/temporary-codes`, { reason: 'second call' });
    await waitForLockWaits(t, 1);
    const change = settled(admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'a wave of callers posing as customers' }));
    // The change waits for the issue, which holds the settings it read. (Before, it went
    // through at once, and the issue scheduled its action on the new period.)
    let changeDone = false;
    void change.then(() => (changeDone = true));
    for (let i = 0; i < 3 && !changeDone; i++) {
      const queued = await waitForLockWaits(t, 2).then(
        () => true,
        () => false,
      );
      if (queued) break;
    }
    await pause.release();
    const issued = await issue;
    expect(issued.statusCode, issued.body).toBe(202);
    expect(await change).toMatchObject({ ok: true, value: { statusCode: 200 } });
    expectOneReading(await whatWasScheduled(c, issued.json().pendingActionId, 2), 1);
    expect((await t.ctx.db.selectFrom('settings').select('value').where('key', '=', 'app').executeTakeFirstOrThrow()).value).toContain('"waitingPeriodHours":24');
  });

  it('raised from 1 to 24 hours by a change not yet committed when the issue starts: the issue waits for it and uses 24 hours throughout', async () => {
    await setWaitingPeriod(1);
    const c = await customer();
    await admin.stepUp();
    await sup.stepUp();
    admin.client.headers['x-csrf-token'] = await admin.client.csrfToken('/api/v1/settings/mfa');
    sup.client.headers['x-csrf-token'] = await sup.client.csrfToken(`/api/v1/contacts/${c.id}/mfa/temporary-codes`);
    // The change, held at its audit entry (its last write), holds the settings row it rewrote.
    const pause = pauseAt((trx) => sql`select seq from audit_head where id = 1 for update`.execute(trx));
    await pause.held;
    try {
      const change = admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'a wave of callers posing as customers' });
      await waitForLockWaits(t, 1);
      const issue = sup.client.post(`/api/v1/contacts/${c.id}/mfa/temporary-codes`, { reason: 'caller locked out' });
      await waitForLockWaits(t, 2);
      await pause.release();
      const [changed, issued] = await Promise.all([change, issue]);
      expect(changed.statusCode, changed.body).toBe(200);
      expect(issued.statusCode, issued.body).toBe(202);
      expectOneReading(await whatWasScheduled(c, issued.json().pendingActionId), 24);
    } finally {
      delete admin.client.headers['x-csrf-token'];
      delete sup.client.headers['x-csrf-token'];
    }
  });
});
