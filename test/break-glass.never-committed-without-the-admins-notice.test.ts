import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { runPortico } from './helpers/cli.js';
import { refuseWrites } from './helpers/refuse-writes.js';

// PRODUCT.md §4, §6: the CLI break-glass is the one MFA reset that no waiting period and no
// step-up guard, so the admins' email is what makes it visible. The reset and that email are
// one transaction: before, the reset committed first and the admins were emailed in a second
// transaction, so a failure there (or the process dying in between) left a reset nobody heard of.
//
// The failure is a real one from the database: a trigger refuses the outbox row of one admin's
// notice (as a full disk or a broken table would), on SQLite and on PostgreSQL alike.

let t: TestApp;
let lockedOut: StaffWithMFA;
let otherAdmin: StaffWithMFA;
let thirdAdmin: StaffWithMFA;
let formerAdmin: StaffWithMFA;
let supervisor: StaffWithMFA;

beforeAll(async () => {
  t = await createTestApp();
  lockedOut = await staffWithMFA(t, 'admin');
  otherAdmin = await staffWithMFA(t, 'admin');
  thirdAdmin = await staffWithMFA(t, 'admin');
  formerAdmin = await staffWithMFA(t, 'admin');
  supervisor = await staffWithMFA(t, 'supervisor');
  await t.ctx.db.updateTable('staff').set({ active: 0 }).where('id', '=', formerAdmin.id).execute();
});
afterAll(async () => {
  await t.close();
});

function refuseOutboxRowsTo(email: string): Promise<() => Promise<void>> {
  return refuseWrites(t.ctx, { table: 'outbox', on: ['INSERT'], column: 'recipient', value: email, message: 'injected failure: outbox refused' });
}

async function factorCount(id: string): Promise<number> {
  const r = await t.ctx.db.selectFrom('mfa_factors').select((eb) => eb.fn.countAll<number>().as('n')).where('owner_kind', '=', 'staff').where('owner_id', '=', id).where('status', '=', 'active').executeTakeFirstOrThrow();
  return Number(r.n);
}

const resetArgs = (): string[] => ['mfa', 'reset', '--email', lockedOut.email, '--reason', 'last admin lost phone', '--staff'];

describe('portico mfa reset --staff when the admins cannot be notified', () => {
  it('commits nothing and exits non-zero with one clear line', async () => {
    const acceptOutboxRowsAgain = await refuseOutboxRowsTo(otherAdmin.email);
    const r = await runPortico(resetArgs(), t.cliEnv()).finally(acceptOutboxRowsAgain);
    // The reset rolled back with it: factor, session, no audit entry, no email queued to anyone.
    expect(await factorCount(lockedOut.id)).toBe(1);
    expect((await lockedOut.client.get('/api/v1/staff-auth/session')).json().state).toBe('authenticated');
    expect(await t.ctx.db.selectFrom('audit_events').select('id').where('staff_id', '=', lockedOut.id).where('action', '=', 'mfa.reset').execute()).toHaveLength(0);
    const queued = await t.ctx.db.selectFrom('outbox').select(['recipient', 'subject']).where('subject', 'in', [`Break-glass MFA reset of ${lockedOut.email}`, 'Your two-step verification was reset']).execute();
    expect(queued).toEqual([]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(/^portico: the break-glass reset was not applied \(nothing changed\): the admins' notification could not be queued: .*injected failure/);
  });

  it('once the outbox works, resets and delivers the notice to every other active admin', async () => {
    const r = await runPortico(resetArgs(), t.cliEnv());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await factorCount(lockedOut.id)).toBe(0);
    for (const admin of [otherAdmin, thirdAdmin]) {
      const notice = await t.mail.waitFor(admin.email, `Break-glass MFA reset of ${lockedOut.email}`);
      expect(notice.text).toContain('Reason given: last admin lost phone');
      expect(notice.text).toMatch(/exempt from the waiting period/);
    }
    await t.mail.waitFor(lockedOut.email, 'Your two-step verification was reset');
    // Neither a deactivated admin nor a supervisor hears of it; each admin hears of it once.
    const breakGlass = t.mail.messages.filter((m) => /^Break-glass MFA reset/.test(m.subject));
    expect(breakGlass.filter((m) => m.to.includes(formerAdmin.email) || m.to.includes(supervisor.email))).toEqual([]);
    expect(breakGlass.filter((m) => m.to.includes(otherAdmin.email))).toHaveLength(1);
    expect(breakGlass.filter((m) => m.to.includes(thirdAdmin.email))).toHaveLength(1);
  });
});
