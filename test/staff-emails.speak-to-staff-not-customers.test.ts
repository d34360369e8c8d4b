import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { MailSink, type ReceivedEmail } from './helpers/mail-sink.js';
import { runPortico } from './helpers/cli.js';
import { escapeHTML } from '../src/notify/templates.js';

// Every security email ends with what to do if the reader did not expect it. The customer's
// line sends them to "our support team" / "contact support"; staff ARE the support team, so the
// emails they receive (admins told of a break-glass, a bulk reset, a policy change or an API
// token; a staff member whose own account an admin changed; a staff member whose code or
// scheduled change a customer disowned) say what a staff member should do instead, in the
// plain-text and the HTML part. Customers keep their line. Every email goes through the real
// SMTP sink.

const CUSTOMER_LINE = /contact support|reply to this email|our support team right now/;
const ADMIN_ALERT = 'If nobody on your team expected this, treat it as a security incident: tell your security team and the other admins right away, and check the audit log.';
const OWN_ACCOUNT_BY_OTHERS = 'If you did not expect this change to your staff account, tell your Portico administrator or security team right away, and change your password.';
const OWN_ACCOUNT_BY_SELF = 'If this was not you, change your password now and tell your Portico administrator or security team right away: someone may have access to your staff account.';
const SOCIAL_ENGINEERING =
  "Treat this as possible social engineering: do not issue new codes or change this customer's sign-in methods again without re-verifying their identity (an emailed identity check to the address on file), and tell your security team.";
const CUSTOMER_BY_SUPPORT = 'If you did not ask our support team for this, reply to this email or contact support right away, and change your password.';
const CUSTOMER_BY_SELF = 'If this was not you, change your password now and contact support: someone may have access to your account.';

let t: TestApp;
let admin: StaffWithMFA;
let otherAdmin: StaffWithMFA;
let sup: StaffWithMFA;

beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  admin = await staffWithMFA(t, 'admin');
  otherAdmin = await staffWithMFA(t, 'admin');
  sup = await staffWithMFA(t, 'supervisor');
});
afterAll(async () => {
  await t.close();
});

/** The email says `line` in both parts, and nothing of the customer's line. */
function expectStaffWording(mail: ReceivedEmail, line: string): void {
  expect(mail.text, mail.subject).toContain(line);
  expect(mail.html, mail.subject).toContain(escapeHTML(line));
  expect(mail.text, mail.subject).not.toMatch(CUSTOMER_LINE);
  expect(mail.html, mail.subject).not.toMatch(CUSTOMER_LINE);
}

function expectCustomerWording(mail: ReceivedEmail, line: string): void {
  expect(mail.text, mail.subject).toContain(line);
  expect(mail.html, mail.subject).toContain(escapeHTML(line));
}

/** A customer with an authenticator app, signed in. */
async function enrolledContact(): Promise<{ email: string; id: string }> {
  const c = await signUpContact(t);
  await enrollTOTP(t, c.client);
  return { email: c.email, id: c.id };
}

describe('emails to admins about what someone else did', () => {
  it('policy change, API token, bulk reset and CLI break-glass tell admins what to do as staff', async () => {
    await admin.stepUp();
    expect((await admin.client.put('/api/v1/settings/mfa', { policy: 'required', reason: 'audit finding' })).statusCode).toBe(200);
    expectStaffWording(await t.mail.waitFor(otherAdmin.email, 'MFA policy changed to "required"'), ADMIN_ALERT);
    expect((await admin.client.put('/api/v1/settings/mfa', { policy: 'optional', reason: 'back to the default' })).statusCode).toBe(200);

    expect((await admin.client.post('/api/v1/api-tokens', { name: 'wording check', scopes: ['contacts:read'] })).statusCode).toBe(201);
    expectStaffWording(await t.mail.waitFor(otherAdmin.email, 'API token "wording check" created'), ADMIN_ALERT);

    const contact = await enrolledContact();
    const bulk = await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { emails: [contact.email] }, reason: 'incident 9' });
    expect(bulk.statusCode, bulk.body).toBe(202);
    expectStaffWording(await t.mail.waitFor(otherAdmin.email, 'Bulk MFA reset started for 1 contacts'), ADMIN_ALERT);

    const lockedOut = await staffWithMFA(t, 'admin');
    const r = await runPortico(['mfa', 'reset', '--email', lockedOut.email, '--reason', 'lost phone', '--staff'], t.cliEnv());
    expect(r.code, r.stderr).toBe(0);
    expectStaffWording(await t.mail.waitFor(otherAdmin.email, `Break-glass MFA reset of ${lockedOut.email}`), ADMIN_ALERT);
    // The reset admin's own reset email is about their staff account, done by someone else.
    expectStaffWording(await t.mail.waitFor(lockedOut.email, 'Your two-step verification was reset'), OWN_ACCOUNT_BY_OTHERS);
  });
});

describe("emails to a staff member about their own staff account", () => {
  it('an admin’s identity check, temporary code and reset, and the code’s use, speak to staff', async () => {
    const agent = await staffWithMFA(t, 'agent');
    await admin.stepUp();

    expect((await admin.client.post(`/api/v1/staff/${agent.id}/identity-checks`, {})).statusCode).toBe(201);
    const check = await t.mail.waitFor(agent.email, 'Your verification code for our support team');
    expectStaffWording(check, 'If you are not talking to a Portico admin about your staff account right now, do not share this code with anyone, and tell your security team.');
    expect(check.text).toContain('Read this code only to the Portico admin you are talking to about your staff account.');

    const issued = await admin.client.post(`/api/v1/staff/${agent.id}/mfa/temporary-codes`, { reason: 'new phone' });
    expect(issued.statusCode, issued.body).toBe(201);
    expectStaffWording(await t.mail.waitFor(agent.email, 'A temporary access code was issued'), OWN_ACCOUNT_BY_OTHERS);

    const c = t.client();
    expect((await c.post('/api/v1/staff-auth/login', { email: agent.email, password: PASSWORD })).json().state).toBe('mfa_required');
    expect((await c.post('/api/v1/staff-auth/mfa/verify', { method: 'temporary_code', code: issued.json().code })).json().state).toBe('enrollment_required');
    expectStaffWording(await t.mail.waitFor(agent.email, 'A temporary access code was used'), OWN_ACCOUNT_BY_SELF);

    await admin.stepUp();
    expect((await admin.client.post(`/api/v1/staff/${agent.id}/mfa/reset`, { reason: 'phone stolen' })).statusCode).toBe(200);
    expectStaffWording(await t.mail.waitFor(agent.email, 'Your two-step verification was reset'), OWN_ACCOUNT_BY_OTHERS);
  });
});

describe('emails to a staff member about their own changes', () => {
  it('adding a sign-in method, a recovery code sign-in and a password change speak to staff', async () => {
    const agent = await staffWithMFA(t, 'agent');
    // staffWithMFA enrolled an authenticator app: its notice.
    expectStaffWording(await t.mail.waitFor(agent.email, 'A sign-in method was added'), OWN_ACCOUNT_BY_SELF);
    await agent.stepUp();
    const regenerated = await agent.client.post('/api/v1/staff-me/mfa/recovery-codes');
    expect(regenerated.statusCode, regenerated.body).toBe(201);
    const c = t.client();
    expect((await c.post('/api/v1/staff-auth/login', { email: agent.email, password: PASSWORD })).json().state).toBe('mfa_required');
    const used = await c.post('/api/v1/staff-auth/mfa/verify', { method: 'recovery_code', code: regenerated.json().codes[0] });
    expect(used.statusCode, used.body).toBe(200);
    expectStaffWording(await t.mail.waitFor(agent.email, 'A recovery code was used'), OWN_ACCOUNT_BY_SELF);
    c.headers['x-csrf-token'] = await c.csrfToken('/api/v1/staff-me/password');
    const changed = await c.post('/api/v1/staff-me/password', { currentPassword: PASSWORD, newPassword: 'another long passphrase 7' });
    expect(changed.statusCode, changed.body).toBeLessThan(300);
    const notice = await t.mail.waitFor(agent.email, 'Your password was changed');
    expectStaffWording(notice, 'If this was not you, reset your password now and tell your Portico administrator or security team right away: someone may have access to your staff account.');
  });
});

describe('emails to the staff member whose action a customer disowned', () => {
  it('a cancelled recovery request tells the staff member who issued a code to treat it as social engineering', async () => {
    const { email, id } = await enrolledContact();
    const caller = t.client();
    expect((await caller.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
    expect((await caller.post('/api/v1/auth/mfa/recovery-requests', { message: 'I lost my phone' })).statusCode).toBe(201);
    const opened = await t.mail.waitFor(email, 'A request to recover your account was opened');
    await sup.stepUp();
    expect((await sup.client.post(`/api/v1/contacts/${id}/mfa/temporary-codes`, { reason: 'recovery ticket' })).statusCode).toBe(201);
    expect((await t.client().post('/api/v1/auth/recovery-requests/cancel', { token: MailSink.token(opened, '/recovery-requests/cancel') })).statusCode).toBe(200);
    expectStaffWording(await t.mail.waitFor(sup.email, 'A customer said an MFA recovery request was not theirs'), SOCIAL_ENGINEERING);

    // The customer's own emails keep the customer's line.
    expectCustomerWording(opened, CUSTOMER_BY_SUPPORT);
    expectCustomerWording(await t.mail.waitFor(email, 'A temporary access code was issued for your account'), CUSTOMER_BY_SUPPORT);
  });

  it('a customer cancelling a scheduled change tells the staff member who scheduled it the same', async () => {
    await admin.stepUp();
    expect((await admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'recommended' })).statusCode).toBe(200);
    try {
      const { email, id } = await enrolledContact();
      await sup.stepUp();
      expect((await sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'caller lost phone' })).statusCode).toBe(202);
      const scheduled = await t.mail.waitFor(email, 'Our support team will change your two-step verification');
      expectCustomerWording(scheduled, CUSTOMER_BY_SUPPORT);
      expect((await t.client().post('/api/v1/auth/pending-actions/cancel', { token: MailSink.token(scheduled, '/pending-actions/cancel') })).statusCode).toBe(200);
      expectStaffWording(await t.mail.waitFor(sup.email, 'A customer cancelled a scheduled MFA change'), SOCIAL_ENGINEERING);
    } finally {
      await admin.stepUp();
      expect((await admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 0, reason: 'test over' })).statusCode).toBe(200);
    }
  });
});

describe('customer emails', () => {
  it('keep the customer line for their own changes and for support’s', async () => {
    const { email, id } = await enrolledContact();
    expectCustomerWording(await t.mail.waitFor(email, 'A sign-in method was added to your account'), CUSTOMER_BY_SELF);
    await sup.stepUp();
    expect((await sup.client.post(`/api/v1/contacts/${id}/mfa/reset`, { reason: 'lost phone' })).statusCode).toBe(200);
    expectCustomerWording(await t.mail.waitFor(email, 'Your two-step verification was reset'), CUSTOMER_BY_SUPPORT);
  });
});
