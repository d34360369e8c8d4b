import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, secretFromBase32, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { MailSink } from './helpers/mail-sink.js';
import { runPortico } from './helpers/cli.js';

// PRODUCT.md §4, §6: the last admin, locked out, is let back in by `portico mfa reset --staff`:
// audited as actor cli, every admin emailed, exempt from the waiting period (and says so); the
// admin then sets MFA up again at the next sign-in, through the emailed setup link only.

let t: TestApp;
let lastAdmin: StaffWithMFA;
let sup: StaffWithMFA;

async function factorCount(kind: 'staff' | 'contact', id: string): Promise<number> {
  const r = await t.ctx.db.selectFrom('mfa_factors').select((eb) => eb.fn.countAll<number>().as('n')).where('owner_kind', '=', kind).where('owner_id', '=', id).where('status', '=', 'active').executeTakeFirstOrThrow();
  return Number(r.n);
}

beforeAll(async () => {
  t = await createTestApp();
  lastAdmin = await staffWithMFA(t, 'admin');
  sup = await staffWithMFA(t, 'supervisor');
  await lastAdmin.stepUp();
  const s = await lastAdmin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'recommended' });
  expect(s.statusCode, s.body).toBe(200);
});
afterAll(async () => {
  await t.close();
});

describe('portico mfa reset --staff for the only admin', () => {
  it('refuses bad input with one clear line, a non-zero exit, and changes nothing', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['mfa', 'reset', '--email', 'ghost@example.com', '--reason', 'x', '--staff'], /no staff member has email ghost@example\.com/],
      [['mfa', 'reset', '--email', lastAdmin.email, '--reason', 'x'], /no contact has email .*--staff/],
      [['mfa', 'reset', '--email', lastAdmin.email, '--reason', '   ', '--staff'], /missing --reason/],
      [['mfa', 'reset', '--email', lastAdmin.email, '--reason', 'x'.repeat(1001), '--staff'], /--reason must be at most 1000 characters/],
      [['mfa', 'reset', '--email', lastAdmin.email, '--reason', 'x', '--staff', '--force'], /Unknown option '--force'/],
      [['mfa', 'reset', '--email', lastAdmin.email, '--staff', '--reason'], /--reason/],
      [['mfa', 'reset', '--email', lastAdmin.email, '--reason', 'x', '--staff=yes'], /--staff/],
    ];
    for (const [args, message] of cases) {
      const r = await runPortico(args, t.cliEnv());
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect(await factorCount('staff', lastAdmin.id)).toBe(1);
    expect((await lastAdmin.client.get('/api/v1/staff-auth/session')).json().state).toBe('authenticated');
  });

  it('resets at once despite the waiting period, audited as cli, emails every admin, and the admin sets up MFA again at the next sign-in', async () => {
    const r = await runPortico(['mfa', 'reset', '--email', lastAdmin.email.toUpperCase(), '--reason', 'only admin lost phone', '--staff'], t.cliEnv());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/exempt/);
    expect(await factorCount('staff', lastAdmin.id)).toBe(0);
    expect((await lastAdmin.client.get('/api/v1/staff-auth/session')).json().state).toBe('anonymous');
    const audit = await t.ctx.db.selectFrom('audit_events').selectAll().where('staff_id', '=', lastAdmin.id).where('action', '=', 'mfa.reset').executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor_type: 'cli', actor_id: null, reason: 'only admin lost phone' });
    expect(await t.ctx.db.selectFrom('pending_actions').selectAll().execute()).toHaveLength(0);
    const notice = await t.mail.waitFor(lastAdmin.email, `Break-glass MFA reset of ${lastAdmin.email}`);
    expect(notice.text).toMatch(/exempt from the waiting period/);
    const reset = await t.mail.waitFor(lastAdmin.email, 'Your two-step verification was reset');

    const c = t.client();
    expect((await c.post('/api/v1/staff-auth/login', { email: lastAdmin.email, password: PASSWORD })).json()).toMatchObject({ state: 'mfa_required', methods: ['setup_link', 'temporary_code'] });
    expect((await c.get('/api/v1/staff')).statusCode).toBe(401);
    expect((await c.post('/api/v1/staff-auth/setup-link', { token: MailSink.token(reset, '/admin/setup-mfa') })).json().state).toBe('enrollment_required');
    expect((await c.get('/api/v1/staff')).json().code).toBe('enrollment_required');
    const start = await c.post('/api/v1/staff-me/mfa/totp');
    nextStep(t);
    const done = await c.post(`/api/v1/staff-me/mfa/totp/${start.json().factorId}/confirm`, { code: codeFor(t, secretFromBase32(start.json().secret)) });
    expect(done.statusCode, done.body).toBe(200);
    expect((await c.get('/api/v1/staff')).statusCode).toBe(200);
    // The supervisor (not an admin) was not emailed about it.
    expect(t.mail.messages.filter((m) => m.to.includes(sup.email) && /Break-glass/.test(m.subject))).toHaveLength(0);
  });

  it('a customer reset by the CLI under a waiting period is applied at once too', async () => {
    const c = await signUpContact(t);
    await enrollTOTP(t, c.client);
    const r = await runPortico(['mfa', 'reset', '--email', c.email, '--reason', 'incident'], t.cliEnv());
    expect(r.code, r.stderr).toBe(0);
    expect(await factorCount('contact', c.id)).toBe(0);
  });
});
