import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { runPortico } from './helpers/cli.js';

let t: TestApp;
let lockedOut: StaffWithMFA;
let otherAdmin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  lockedOut = await staffWithMFA(t, 'admin');
  otherAdmin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

describe('portico mfa reset (break-glass)', () => {
  it('resets a locked-out admin, audited as cli, every admin emailed, exempt from the waiting period', async () => {
    const r = await runPortico(['mfa', 'reset', '--email', lockedOut.email, '--reason', 'last admin lost phone', '--staff'], t.cliEnv());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/reset MFA of .*: 1 factors/);
    expect(r.stdout).toContain('exempt');
    await otherAdmin.stepUp();
    const panel = (await otherAdmin.client.get(`/api/v1/staff/${lockedOut.id}/mfa`)).json();
    expect(panel).toMatchObject({ enrolled: false, setupLinkRequired: true });
    const events = (await otherAdmin.client.get(`/api/v1/audit-events?staffId=${lockedOut.id}&action=mfa.reset`)).json().items;
    expect(events[0]).toMatchObject({ actor: { type: 'cli', id: null }, reason: 'last admin lost phone' });
    await t.mail.waitFor(otherAdmin.email, `Break-glass MFA reset of ${lockedOut.email}`);
    await t.mail.waitFor(lockedOut.email, 'Your two-step verification was reset');
  });

  it('answers bad input with one clear line and a non-zero exit', async () => {
    for (const [args, message] of [
      [['mfa', 'reset', '--email', 'nobody@example.com', '--reason', 'x'], /no contact has email nobody@example.com/],
      [['mfa', 'reset', '--email', lockedOut.email], /missing --reason/],
      [['mfa', 'reset', '--reason', 'x'], /missing --email/],
      [['mfa', 'reset', '--email', 'not-an-email', '--reason', 'x'], /not an email address/],
      // List syntax, which a mail library would deliver to the address inside it.
      [['mfa', 'reset', '--email', `x<${lockedOut.email}>`, '--reason', 'x'], /not an email address/],
    ] as const) {
      const r = await runPortico([...args], t.cliEnv());
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('portico token create', () => {
  it('prints a token that works over the API, and emails the admins', async () => {
    const r = await runPortico(['token', 'create', '--email', otherAdmin.email, '--name', 'nightly sync', '--scopes', 'contacts:read,audit:read', '--days', '7'], t.cliEnv());
    expect(r.code, r.stderr).toBe(0);
    const token = r.stdout.trim();
    expect(token).toMatch(/^pt_[A-Za-z0-9_-]{43}$/);
    const api = t.client();
    expect((await api.get('/api/v1/contacts', { authorization: `Bearer ${token}` })).statusCode).toBe(200);
    expect((await api.get('/api/v1/staff', { authorization: `Bearer ${token}` })).statusCode).toBe(403);
    await t.mail.waitFor(otherAdmin.email, 'API token "nightly sync" created');
  });

  it('refuses unknown scopes, bad days and unknown staff', async () => {
    for (const args of [
      ['token', 'create', '--email', otherAdmin.email, '--name', 'x', '--scopes', 'root'],
      ['token', 'create', '--email', otherAdmin.email, '--name', 'x', '--scopes', 'contacts:read', '--days', '400'],
      ['token', 'create', '--email', 'ghost@example.com', '--name', 'x', '--scopes', 'contacts:read'],
    ]) {
      const r = await runPortico(args, t.cliEnv());
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
