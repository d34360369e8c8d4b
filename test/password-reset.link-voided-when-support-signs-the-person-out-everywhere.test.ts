import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createStaff, createTestApp, dialectUnderTest, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { MailSink } from './helpers/mail-sink.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { holdLock, settled, waitForLockWaits } from './helpers/pg-locks.js';
import { takeMFAAdvisoryLock } from '../src/mfa/store.js';

// A customer who finds an account taken over calls support, and support signs them out
// everywhere. The customer's own "sign out everywhere" and a password change void the
// password-reset links already mailed (whoever reads the mailbox may have asked for one), but
// support's did not: the link the attacker asked for still set the password afterwards. Nor did
// an admin's deactivation of a staff member, answer to a staff account taken over: reactivated
// within the hour, the link worked again. Both now void the person's reset links, first in the
// transaction: the reset links come before the person's MFA lock, any staff row and the person
// in every transaction of a person that takes them (a link's use takes the link, then the MFA
// lock, then the person), so on PostgreSQL they queue and never deadlock.

let t: TestApp;
let sup: StaffWithMFA;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  sup = await staffWithMFA(t, 'supervisor');
  admin = await staffWithMFA(t, 'admin');
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

type Scope = 'auth' | 'staff-auth';
const resetPath = (scope: Scope) => (scope === 'auth' ? '/reset-password' : '/admin/reset-password');

async function mailedResetLink(scope: Scope, email: string): Promise<string> {
  const before = t.mail.to(email).filter((m) => m.subject.includes('Reset your password')).length;
  expect((await t.client().post(`/api/v1/${scope}/password/forgot`, { email })).statusCode).toBe(202);
  for (let i = 0; i < 100; i++) {
    const links = t.mail.to(email).filter((m) => m.subject.includes('Reset your password'));
    if (links.length > before) return MailSink.token(links[links.length - 1], resetPath(scope));
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no reset link reached ${email}`);
}

function useLink(scope: Scope, token: string, password = 'the mailbox reader’s pick') {
  return t.client().post(`/api/v1/${scope}/password/reset`, { token, password });
}

async function expectDead(scope: Scope, token: string): Promise<void> {
  const r = await useLink(scope, token);
  expect(r.statusCode, r.body).toBe(400);
  expect(r.json().code).toBe('invalid_token');
}

async function signOutEverywhere(by: StaffWithMFA, kind: 'contacts' | 'staff', id: string, body: Record<string, unknown> = {}) {
  await by.stepUp();
  return by.client.post(`/api/v1/${kind}/${id}/sessions/revoke`, { reason: 'the customer reports a takeover', ...body });
}

async function loginStatus(scope: Scope, email: string, password: string): Promise<number> {
  return (await t.client().post(`/api/v1/${scope}/login`, { email, password })).statusCode;
}

describe('a password-reset link already mailed stops working', () => {
  it("when support signs the customer out everywhere, and the customer's password stays theirs", async () => {
    const { email, id } = await signUpContact(t);
    const link = await mailedResetLink('auth', email);
    const out = await signOutEverywhere(sup, 'contacts', id);
    expect(out.statusCode, out.body).toBe(200);
    await expectDead('auth', link);
    expect(await loginStatus('auth', email, 'the mailbox reader’s pick')).toBe(401);
    expect(await loginStatus('auth', email, PASSWORD)).toBe(200);
  });

  it('when an admin signs a staff member out everywhere', async () => {
    const staff = await createStaff(t, 'agent');
    const link = await mailedResetLink('staff-auth', staff.email);
    const out = await signOutEverywhere(admin, 'staff', staff.id);
    expect(out.statusCode, out.body).toBe(200);
    await expectDead('staff-auth', link);
  });

  it('when an admin deactivates a staff member: reactivated, the link they were sent before still does nothing', async () => {
    const staff = await createStaff(t, 'agent');
    const link = await mailedResetLink('staff-auth', staff.email);
    await admin.stepUp();
    expect((await admin.client.patch(`/api/v1/staff/${staff.id}`, { active: false })).statusCode).toBe(200);
    expect((await admin.client.patch(`/api/v1/staff/${staff.id}`, { active: true })).statusCode).toBe(200);
    await expectDead('staff-auth', link);
    expect(await loginStatus('staff-auth', staff.email, PASSWORD)).toBe(200);
    // A link asked for after the reactivation works.
    const fresh = await mailedResetLink('staff-auth', staff.email);
    expect((await useLink('staff-auth', fresh, 'chosen after the reactivation')).json()).toEqual({ reset: true });
  });

  it("only that person's links; and a link asked for afterwards works", async () => {
    const owner = await signUpContact(t);
    const bystander = await signUpContact(t);
    await mailedResetLink('auth', owner.email);
    const othersLink = await mailedResetLink('auth', bystander.email);
    expect((await signOutEverywhere(sup, 'contacts', owner.id)).statusCode).toBe(200);
    expect((await useLink('auth', othersLink, 'bystander’s new one')).json()).toEqual({ reset: true });
    const fresh = await mailedResetLink('auth', owner.email);
    expect((await useLink('auth', fresh, 'the owner’s new one')).json()).toEqual({ reset: true });
    expect(await loginStatus('auth', owner.email, 'the owner’s new one')).toBe(200);
  });

  it('a sign-out everywhere that is refused (no identity check where one is required) leaves the link as it was', async () => {
    const { client, email, id } = await signUpContact(t);
    await enrollTOTP(t, client);
    const link = await mailedResetLink('auth', email);
    await admin.stepUp();
    expect((await admin.client.put('/api/v1/settings/mfa', { requireEmailVerification: true, reason: 'identity checks first' })).statusCode).toBe(200);
    try {
      const out = await signOutEverywhere(sup, 'contacts', id);
      expect(out.statusCode, out.body).toBe(403);
      expect(out.json().code).toBe('verification_required');
    } finally {
      await admin.stepUp();
      expect((await admin.client.put('/api/v1/settings/mfa', { requireEmailVerification: false, reason: 'back as it was' })).statusCode).toBe(200);
    }
    expect((await useLink('auth', link, 'the owner’s own pick')).json()).toEqual({ reset: true });
  });
});

describe.skipIf(dialectUnderTest !== 'postgres')("support's sign-out everywhere racing a reset link, and a deactivation", () => {
  it("the link's use, paused at the person, then support's sign-out: both succeed, the link's password set first", async () => {
    const { email, id } = await signUpContact(t);
    const link = await mailedResetLink('auth', email);
    await sup.stepUp();
    sup.client.headers['x-csrf-token'] = await sup.client.csrfToken(`/api/v1/contacts/${id}/sessions/revoke`);
    try {
      const pause = pauseAt((trx) => sql`select id from contacts where id = ${id} for share`.execute(trx));
      await pause.held;
      const reset = useLink('auth', link, 'set through the link');
      await waitForLockWaits(t, 1);
      const out = sup.client.post(`/api/v1/contacts/${id}/sessions/revoke`, { reason: 'takeover reported' });
      // The sign-out waits for the link the reset holds.
      await waitForLockWaits(t, 2);
      await pause.release();
      const [r, o] = await Promise.all([reset, out]);
      expect(r.statusCode, r.body).toBe(200);
      expect(o.statusCode, o.body).toBe(200);
      expect(await loginStatus('auth', email, 'set through the link')).toBe(200);
    } finally {
      delete sup.client.headers['x-csrf-token'];
    }
  });

  it("support's sign-out, paused at the sessions, then the link's use: the sign-out succeeds and the link is refused cleanly", async () => {
    const { email, id } = await signUpContact(t);
    const link = await mailedResetLink('auth', email);
    await sup.stepUp();
    sup.client.headers['x-csrf-token'] = await sup.client.csrfToken(`/api/v1/contacts/${id}/sessions/revoke`);
    try {
      const pause = pauseAt((trx) => sql`select id_hash from sessions where subject_id = ${id} for update`.execute(trx));
      await pause.held;
      const out = sup.client.post(`/api/v1/contacts/${id}/sessions/revoke`, { reason: 'takeover reported' });
      await waitForLockWaits(t, 1);
      const reset = useLink('auth', link, 'set through the link');
      await waitForLockWaits(t, 2);
      await pause.release();
      const [o, r] = await Promise.all([out, reset]);
      expect(o.statusCode, o.body).toBe(200);
      // Before: the sign-out left the link alone, and the reset queued behind it then set the password.
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json().code).toBe('invalid_token');
      expect(await loginStatus('auth', email, PASSWORD)).toBe(200);
    } finally {
      delete sup.client.headers['x-csrf-token'];
    }
  });

  it("support's sign-out, paused at the acting staff member's row (past the person's MFA lock), then the link's use: the link is refused cleanly, no deadlock", async () => {
    const { email, id } = await signUpContact(t);
    const link = await mailedResetLink('auth', email);
    await sup.stepUp();
    sup.client.headers['x-csrf-token'] = await sup.client.csrfToken(`/api/v1/contacts/${id}/sessions/revoke`);
    try {
      const pause = pauseAt((trx) => sql`select id from staff where id = ${sup.id} for update`.execute(trx));
      await pause.held;
      const out = sup.client.post(`/api/v1/contacts/${id}/sessions/revoke`, { reason: 'takeover reported' });
      await waitForLockWaits(t, 1);
      // The link's use takes the link and then the person's MFA lock: had the sign-out taken the
      // MFA lock before the links, each would now hold what the other waits for.
      const reset = useLink('auth', link, 'set through the link');
      await waitForLockWaits(t, 2);
      await pause.release();
      const [o, r] = await Promise.all([out, reset]);
      expect(o.statusCode, o.body).toBe(200);
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json().code).toBe('invalid_token');
    } finally {
      delete sup.client.headers['x-csrf-token'];
    }
  });

  it("the link's use, held up at the person's MFA lock, then support's sign-out: no deadlock, no 409 or 500", async () => {
    const { email, id } = await signUpContact(t);
    const link = await mailedResetLink('auth', email);
    await sup.stepUp();
    sup.client.headers['x-csrf-token'] = await sup.client.csrfToken(`/api/v1/contacts/${id}/sessions/revoke`);
    try {
      const pause = pauseAt((trx) => takeMFAAdvisoryLock(trx, { kind: 'contact', id }));
      await pause.held;
      const reset = settled(useLink('auth', link, 'set through the link'));
      // A link's use that takes the MFA lock waits here holding the link; one that does not, finishes.
      let resetDone = false;
      void reset.then(() => (resetDone = true));
      await waitForLockWaits(t, 1).catch(() => undefined);
      const out = settled(sup.client.post(`/api/v1/contacts/${id}/sessions/revoke`, { reason: 'takeover reported' }));
      await waitForLockWaits(t, resetDone ? 1 : 2);
      await pause.release();
      const [r, o] = await Promise.all([reset, out]);
      expect(r).toMatchObject({ ok: true, value: { statusCode: 200 } });
      expect(o).toMatchObject({ ok: true, value: { statusCode: 200 } });
      expect(await loginStatus('auth', email, 'set through the link')).toBe(200);
    } finally {
      delete sup.client.headers['x-csrf-token'];
    }
  });

  it("a deactivation, paused at the admins' rows, then another admin's sign-out of the same staff member: both succeed", async () => {
    const other = await staffWithMFA(t, 'admin');
    const staff = await createStaff(t, 'supervisor');
    await mailedResetLink('staff-auth', staff.email);
    await admin.stepUp();
    await other.stepUp();
    admin.client.headers['x-csrf-token'] = await admin.client.csrfToken(`/api/v1/staff/${staff.id}`);
    other.client.headers['x-csrf-token'] = await other.client.csrfToken(`/api/v1/staff/${staff.id}/sessions/revoke`);
    try {
      // Shared, as the sign-out's own hold on the acting admin's row: the deactivation, which
      // locks every active admin's row, waits here holding the staff member's reset links.
      const pause = pauseAt((trx) => sql`select id from staff where id = ${other.id} for share`.execute(trx));
      await pause.held;
      const off = admin.client.patch(`/api/v1/staff/${staff.id}`, { active: false });
      await waitForLockWaits(t, 1);
      const out = other.client.post(`/api/v1/staff/${staff.id}/sessions/revoke`, { reason: 'takeover reported' });
      await waitForLockWaits(t, 2);
      await pause.release();
      const [d, o] = await Promise.all([off, out]);
      expect(d.statusCode, d.body).toBe(200);
      expect(o.statusCode, o.body).toBe(200);
    } finally {
      delete admin.client.headers['x-csrf-token'];
      delete other.client.headers['x-csrf-token'];
    }
  });

  it("the staff member's link used, paused at their row, then their deactivation: both succeed", async () => {
    const staff = await createStaff(t, 'agent');
    const link = await mailedResetLink('staff-auth', staff.email);
    await admin.stepUp();
    admin.client.headers['x-csrf-token'] = await admin.client.csrfToken(`/api/v1/staff/${staff.id}`);
    try {
      const pause = pauseAt((trx) => sql`select id from staff where id = ${staff.id} for share`.execute(trx));
      await pause.held;
      const reset = useLink('staff-auth', link, 'set through the link');
      await waitForLockWaits(t, 1);
      const off = admin.client.patch(`/api/v1/staff/${staff.id}`, { active: false });
      await waitForLockWaits(t, 2);
      await pause.release();
      const [r, d] = await Promise.all([reset, off]);
      expect(r.statusCode, r.body).toBe(200);
      expect(d.statusCode, d.body).toBe(200);
    } finally {
      delete admin.client.headers['x-csrf-token'];
    }
  });

  it("a deactivation, paused at the admins' rows, then the staff member's link used: the deactivation succeeds, the link is refused cleanly", async () => {
    const staff = await createStaff(t, 'agent');
    const link = await mailedResetLink('staff-auth', staff.email);
    await admin.stepUp();
    admin.client.headers['x-csrf-token'] = await admin.client.csrfToken(`/api/v1/staff/${staff.id}`);
    try {
      const pause = pauseAt((trx) => sql`select id from staff where id = ${admin.id} for share`.execute(trx));
      await pause.held;
      const off = admin.client.patch(`/api/v1/staff/${staff.id}`, { active: false });
      await waitForLockWaits(t, 1);
      const reset = useLink('staff-auth', link, 'set through the link');
      await waitForLockWaits(t, 2);
      await pause.release();
      const [d, r] = await Promise.all([off, reset]);
      expect(d.statusCode, d.body).toBe(200);
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json().code).toBe('invalid_token');
    } finally {
      delete admin.client.headers['x-csrf-token'];
    }
  });
});
