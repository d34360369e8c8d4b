import { beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from './helpers/app.js';
import type { ReceivedEmail } from './helpers/mail-sink.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { useRacingApp } from './helpers/racing-app.js';

/**
 * PRODUCT.md §4: the waiting period and the emailed identity check are the help desk's defences
 * against a caller posing as a customer (the MGM and Okta attacks). An attacker holding one
 * admin's session would turn them off first, and only a policy change emailed the other
 * admins. Now shortening the waiting period or dropping the identity check emails every admin
 * too, as a policy change does; strengthening them, or changing other settings, does not. So
 * does remembering browsers longer (or at all): a remembered browser skips the second step.
 */
const race = useRacingApp();
let t: TestApp;
let admin: StaffWithMFA;
let otherAdmin: StaffWithMFA;
beforeAll(async () => {
  ({ t, admin } = race);
  otherAdmin = await staffWithMFA(t, 'admin');
});

async function change(body: Record<string, unknown>) {
  await admin.stepUp();
  const r = await admin.client.put('/api/v1/settings/mfa', { ...body, reason: 'quarterly review' });
  expect(r.statusCode, r.body).toBe(200);
}

const alertsTo = (email: string) => t.mail.messages.filter((m) => m.recipients.includes(email) && /safeguards weakened|MFA policy changed/.test(m.subject));

/** The next alert to `email` after the `seen` it had, within 5 s. */
async function nextAlert(email: string, seen: number): Promise<ReceivedEmail> {
  const deadline = Date.now() + 5000;
  while (alertsTo(email).length <= seen) {
    if (Date.now() > deadline) throw new Error(`no new alert to ${email}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return alertsTo(email)[seen]!;
}

/** Lets the outbox deliver anything already queued. */
const settle = () => new Promise((r) => setTimeout(r, 400));

describe('weakening the help desk safeguards', () => {
  it('emails every admin what went from what to what; strengthening them or other settings emails nobody', async () => {
    await change({ waitingPeriodHours: 24, requireEmailVerification: true, rememberDeviceDays: 10 });
    await settle();
    expect(alertsTo(otherAdmin.email)).toEqual([]);

    await change({ waitingPeriodHours: 0 });
    const shortened = await nextAlert(otherAdmin.email, 0);
    expect(shortened.subject).toBe('Help-desk safeguards weakened');
    expect(shortened.text).toContain('The waiting period before staff MFA changes take effect went from 24 to 0 hours.');
    expect(shortened.text).toContain('Reason given: quarterly review');
    expect((await nextAlert(admin.email, 0)).subject).toBe('Help-desk safeguards weakened');

    await change({ requireEmailVerification: false, rememberDeviceDays: 7 });
    const dropped = await nextAlert(otherAdmin.email, 1);
    expect(dropped.text).toContain('Staff no longer need a confirmed email identity check before acting on a customer with factors.');
    expect(dropped.text).not.toContain('waiting period');

    // A policy change keeps its subject, and says what else weakened with it.
    await change({ waitingPeriodHours: 12, requireEmailVerification: true });
    await change({ policy: 'required', waitingPeriodHours: 1 });
    const policy = await nextAlert(otherAdmin.email, 2);
    expect(policy.subject).toBe('MFA policy changed to "required"');
    expect(policy.text).toContain('The MFA policy went from "optional" to "required".');
    expect(policy.text).toContain('went from 12 to 1 hours.');

    await change({ rememberDeviceDays: 3 });
    await settle();
    expect(alertsTo(otherAdmin.email)).toHaveLength(3);
  });

  it('remembering browsers longer, or at all, emails every admin: a remembered browser skips the second step', async () => {
    const seen = alertsTo(otherAdmin.email).length;
    await change({ rememberDeviceDays: 0 });
    await settle();
    expect(alertsTo(otherAdmin.email)).toHaveLength(seen);

    await change({ rememberDeviceDays: 30 });
    const on = await nextAlert(otherAdmin.email, seen);
    expect(on.subject).toBe('Help-desk safeguards weakened');
    expect(on.text).toContain('Browsers can now be remembered, skipping the second step for 30 days.');

    await change({ rememberDeviceDays: 90 });
    const longer = await nextAlert(otherAdmin.email, seen + 1);
    expect(longer.text).toContain('Remembered browsers now skip the second step for 90 days instead of 30.');

    await change({ rememberDeviceDays: 45 });
    await settle();
    expect(alertsTo(otherAdmin.email)).toHaveLength(seen + 2);
  });
});
