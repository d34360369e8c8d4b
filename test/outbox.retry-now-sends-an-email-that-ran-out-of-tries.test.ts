import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { staffWithRole } from './helpers/staff-session.js';
import { MAX_ATTEMPTS } from '../src/notify/mailer.js';

// After a long mail outage an email may have used up its automatic tries (12, over about 14
// hours); the console lists it as failing and offers "Retry now". That retry must send it:
// a bulk reset's notices or a security notice would otherwise be lost while the console says
// they are being retried.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('Retry now on the outbox', () => {
  it('sends an email whose automatic tries ran out', async () => {
    const to = 'gave-up-on@example.com';
    // The outage: the mail server refuses; the first automatic try fails and is recorded.
    t.mail.refuse = true;
    await t.ctx.mailer.enqueue(t.ctx.db, { to, subject: 'Your two-step verification was reset', text: 'It was reset.', html: '<p>It was reset.</p>' });
    const outboxRow = () => t.ctx.db.selectFrom('outbox').select(['id', 'attempts', 'locked_until']).where('recipient', '=', to).executeTakeFirstOrThrow();
    for (let i = 0; ; i++) {
      const r = await outboxRow();
      if (Number(r.attempts) >= 1 && r.locked_until === null) break;
      if (i > 250) throw new Error('the first delivery try was never recorded');
      await new Promise((res) => setTimeout(res, 20));
    }
    const row = await outboxRow();
    // Every later try failed too (the hours between them are not waited here): none is left.
    await t.ctx.db.updateTable('outbox').set({ attempts: MAX_ATTEMPTS, next_attempt_at: t.clock.now().toISOString() }).where('id', '=', row.id).execute();
    // The mail server is back, but the delivery loop no longer tries this email.
    t.mail.refuse = false;
    await t.ctx.mailer.deliverDue();
    await new Promise((res) => setTimeout(res, 200));
    expect(t.mail.to(to)).toHaveLength(0);

    const { client: admin } = await staffWithRole(t, 'admin');
    const failing = (await admin.get('/api/v1/outbox?status=failing')).json().items;
    expect(failing.map((m: { id: string }) => m.id)).toContain(row.id);
    const r = await admin.post(`/api/v1/outbox/${row.id}/retry`);
    expect(r.json()).toEqual({ retrying: true });
    await t.mail.waitFor(to, 'Your two-step verification was reset');
    // Marked sent once the SMTP server took it (a moment after the sink has it).
    const sentAt = async () => (await t.ctx.db.selectFrom('outbox').select('sent_at').where('id', '=', row.id).executeTakeFirstOrThrow()).sent_at;
    for (let i = 0; (await sentAt()) === null && i < 100; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await sentAt()).not.toBeNull();
    expect(t.mail.to(to)).toHaveLength(1);
  });
});
