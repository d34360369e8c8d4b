import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createStaff, PASSWORD, signUpContact, type TestApp } from '../helpers/app.js';
import { MailSink } from '../helpers/mail-sink.js';
import { codeFor, enrollTOTP, nextStep, staffWithMFA, type StaffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage, screenshot, type WatchedPage } from './browser.js';
import { signInToConsole } from './mfa-steps.js';


/** A customer's password step in the help center. */
async function signInToHelpCenter(p: Page, email: string): Promise<void> {
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await p.getByRole('button', { name: 'Sign in' }).click();
}

const SIX_MINUTES = 6 * 60_000;

describe.skipIf(!hasChromium)('console: the Security panel and the staff MFA toolkit', () => {
  const suite = useWebAppAndBrowser();

  it('a supervisor resets a customer’s MFA after an emailed identity check and an inline step-up; the customer sets up again from the setup link', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'rita@example.com', 'Rita Reset');
    await enrollTOTP(t, customer.client, 'contact', 'Phone');
    const supervisor: StaffWithMFA = await staffWithMFA(t, 'supervisor');

    const s = await openPage(suite.browser, suite.web.baseURL);
    const denials: string[] = [];
    s.page.on('response', async (r) => {
      if (r.status() === 403) denials.push((await r.json()).code);
    });
    await signInToConsole(t, s, supervisor.email, supervisor.secret);
    const sp = s.page;
    await sp.goto(`/admin/contacts/${customer.id}`);
    const panel = sp.getByRole('region', { name: 'Security' });
    await panel.getByRole('table', { name: 'Factors' }).getByRole('cell', { name: 'Phone', exact: true }).waitFor();
    await panel.getByText('Enrolled', { exact: true }).waitFor();

    await panel.getByRole('button', { name: 'Reset MFA' }).click();
    const dialog = sp.getByRole('dialog', { name: 'Reset MFA' });
    const changes = dialog.getByRole('list', { name: 'What will change' });
    await changes.getByText('Removes 1 factor: Phone (authenticator app); 10 recovery codes; 0 remembered devices; signs out 1 session').waitFor();
    expect(await dialog.getByLabel('Require MFA setup at next sign-in').isChecked()).toBe(true);
    await dialog.getByLabel('Reason').fill('Customer changed phones; called in from the number on file');

    // The identity check: a code to the customer's address, read back to the supervisor.
    await dialog.getByLabel('Email a code to the customer').check();
    await dialog.getByRole('button', { name: 'Send code' }).click();
    const check = await t.mail.waitFor(customer.email, /verification code/i);
    const code = /\b(\d{6})\b/.exec(check.text)![1];
    await dialog.getByLabel('Code read back').fill(code);
    await dialog.getByRole('button', { name: 'Confirm code' }).click();
    await dialog.getByText('Email on file verified').waitFor();
    await screenshot(sp, 'security-reset-dialog');

    // The sign-in's own second step has gone stale: the action asks for a step-up inline.
    t.clock.advance(SIX_MINUTES);
    await dialog.getByRole('button', { name: 'Reset MFA' }).click();
    const stepUp = sp.getByRole('dialog', { name: 'Confirm it is you' });
    await stepUp.getByLabel('Code from your authenticator app').fill(codeFor(t, supervisor.secret));
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    const done = sp.getByRole('dialog', { name: 'Reset MFA: done' });
    const summary = done.getByLabel('What changed');
    await summary.getByText('Factors removed').waitFor();
    expect(await summary.innerText()).toMatch(/Factors removed\s+1[\s\S]*Recovery codes removed\s+10[\s\S]*Sessions signed out\s+1/);
    await done.getByRole('button', { name: 'Done' }).click();
    await panel.getByText('Not enrolled').waitFor();
    await panel.getByRole('list', { name: 'Recent security events' }).getByText('MFA reset').waitFor();

    const events = (await t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', 'mfa.reset').execute()).map((e) => ({ reason: e.reason, verification: JSON.parse(e.verification ?? 'null') }));
    expect(events).toEqual([{ reason: 'Customer changed phones; called in from the number on file', verification: expect.objectContaining({ method: 'email_code' }) }]);

    // The customer: password, then the setup link from the real email, then a new authenticator.
    const mail = await t.mail.waitFor(customer.email, 'Your two-step verification was reset');
    const c = await openPage(suite.browser, suite.web.baseURL);
    const cp = c.page;
    await cp.goto(MailSink.link(mail, '/setup-mfa'));
    await cp.getByRole('link', { name: 'Sign in' }).last().click();
    await signInToHelpCenter(cp, customer.email);
    await cp.getByRole('button', { name: 'Continue with the setup link' }).click();
    await cp.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    await cp.getByRole('button', { name: 'Add an authenticator app' }).click();
    const key = (await cp.getByLabel('Setup key').innerText()).replace(/\s+/g, '');
    const { secretFromBase32 } = await import('../helpers/mfa.js');
    await cp.getByLabel('6-digit code from the app').fill(codeFor(t, secretFromBase32(key)));
    await cp.getByLabel('Name (optional)').fill('New phone');
    await cp.getByRole('button', { name: 'Confirm and turn on' }).click();
    await cp.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    await cp.getByLabel('I have saved these codes').check();
    await cp.getByRole('button', { name: 'Continue to the Help Center' }).click();
    await cp.getByRole('heading', { name: /tickets/i }).first().waitFor();

    await sp.reload();
    await panel.getByRole('table', { name: 'Factors' }).getByRole('cell', { name: 'New phone', exact: true }).waitFor();
    // The one 403 is the API asking for the step-up the dialog then did; the browser logs it.
    expect(denials).toEqual(['step_up_required']);
    expect(s.problems.filter((p) => !p.endsWith('status of 403 (Forbidden)'))).toEqual([]);
    expect(s.problems.length).toBe(1);
    expect(c.problems).toEqual([]);
    await s.context.close();
    await c.context.close();
  });

  it('a supervisor unlocks a locked-out customer and issues a temporary access code; the customer signs in with it and adds a passkey', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'lou@example.com', 'Lou Locked');
    await enrollTOTP(t, customer.client, 'contact', 'Old phone');
    // Ten wrong codes lock the second step for 15 minutes.
    for (let round = 0; round < 2; round++) {
      const api = t.client();
      expect((await api.post('/api/v1/auth/login', { email: customer.email, password: PASSWORD })).statusCode).toBe(200);
      for (let i = 0; i < 5; i++) await api.post('/api/v1/auth/mfa/verify', { method: 'totp', code: '000000' });
    }
    const supervisor = await staffWithMFA(t, 'supervisor');
    const s = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, s, supervisor.email, supervisor.secret);
    const sp = s.page;
    await sp.goto(`/admin/contacts/${customer.id}`);
    const panel = sp.getByRole('region', { name: 'Security' });
    await panel.getByText(/Locked: locked until .* after 10 failed codes/).waitFor();

    await panel.getByRole('button', { name: 'Unlock' }).click();
    let dialog = sp.getByRole('dialog', { name: 'Unlock' });
    await dialog.getByText(/Unlocks the second step \(locked until/).waitFor();
    await dialog.getByLabel('Reason').fill('Customer lost the phone and kept guessing');
    await dialog.getByRole('button', { name: 'Unlock' }).click();
    await sp.getByRole('dialog', { name: 'Unlock: done' }).getByRole('button', { name: 'Done' }).click();
    await panel.getByText('Not locked').waitFor();

    await panel.getByRole('button', { name: 'Temporary access code' }).click();
    dialog = sp.getByRole('dialog', { name: 'Temporary access code' });
    await expect.poll(() => dialog.getByLabel('Valid for').inputValue()).toBe('60');
    await dialog.getByLabel('Valid for').selectOption({ label: '4 hours' });
    await dialog.getByText('Issues a one-time code valid for 4 hours, shown once').waitFor();
    await dialog.getByText('Then removes the current 1 factor: Old phone (authenticator app)').waitFor();
    await dialog.getByLabel('Reason').fill('Locked out after losing the phone');
    await dialog.getByLabel('Called back the number on file').check();
    await dialog.getByLabel('Note on the check').fill('+1 555 0100');
    await dialog.getByRole('button', { name: 'Temporary access code' }).click();
    const done = sp.getByRole('dialog', { name: 'Temporary access code: done' });
    const code = (await done.getByLabel('Temporary access code').innerText()).trim();
    expect(code).toMatch(/^[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    await screenshot(sp, 'security-temporary-code');
    await done.getByRole('button', { name: 'Done' }).click();
    // Shown once: gone from the page, and the panel only knows its expiry.
    expect(await sp.getByText(code).count()).toBe(0);
    await panel.getByText(/Outstanding, expires/).waitFor();

    // The customer, with Chromium's virtual authenticator standing in for a platform passkey.
    const c = await openPage(suite.browser, suite.web.baseURL);
    const cp = c.page;
    const cdp = await c.context.newCDPSession(cp);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await cp.goto('/sign-in');
    await signInToHelpCenter(cp, customer.email);
    await cp.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await cp.getByRole('group', { name: 'Choose a method' }).getByRole('button', { name: 'Temporary access code' }).click();
    await cp.getByRole('textbox', { name: 'Temporary access code' }).fill(code);
    await cp.getByRole('button', { name: 'Verify' }).click();
    await cp.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    await cp.getByRole('button', { name: 'Add a passkey' }).click();
    await cp.getByLabel('Passkey name (optional)').fill('Laptop');
    await cp.getByRole('button', { name: 'Create passkey' }).click();
    const codes = cp.getByRole('heading', { name: 'Save your recovery codes' });
    const tickets = cp.getByRole('heading', { name: /tickets/i }).first();
    await codes.or(tickets).waitFor();
    if (await codes.isVisible()) {
      await cp.getByLabel('I have saved these codes').check();
      await cp.getByRole('button', { name: 'Continue to the Help Center' }).click();
    }
    await tickets.waitFor();

    // The old factor retired; the passkey is the one left.
    await sp.reload();
    const factors = panel.getByRole('table', { name: 'Factors' });
    await factors.getByRole('cell', { name: 'Laptop', exact: true }).waitFor();
    expect(await factors.getByRole('cell', { name: 'Old phone', exact: true }).count()).toBe(0);
    await panel.getByText('None outstanding').waitFor();
    const issued = await t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', 'mfa.temporary_code.issued').executeTakeFirstOrThrow();
    expect(JSON.parse(issued.verification ?? 'null')).toEqual({ method: 'callback', note: '+1 555 0100' });
    expect(JSON.stringify(issued)).not.toContain(code);
    expect(s.problems).toEqual([]);
    expect(c.problems).toEqual([]);
    await s.context.close();
    await c.context.close();
  });

  it('offers no temporary access code for a customer without a factor, and says why', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'nell@example.com', 'Nell Nofactor');
    const supervisor = await staffWithMFA(t, 'supervisor');
    const s = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, s, supervisor.email, supervisor.secret);
    const p = s.page;
    await p.goto(`/admin/contacts/${customer.id}`);
    const panel = p.getByRole('region', { name: 'Security' });
    const actions = panel.getByRole('group', { name: 'Security actions' });
    await actions.getByRole('button', { name: 'Reset MFA' }).waitFor();
    expect(await actions.getByRole('button', { name: 'Temporary access code' }).count()).toBe(0);
    await panel.getByText('No temporary access code: this customer has no sign-in method yet').waitFor();

    // Once the customer has a factor, the code can stand in for it.
    await enrollTOTP(t, customer.client, 'contact', 'Phone');
    await p.reload();
    await actions.getByRole('button', { name: 'Temporary access code' }).waitFor();
    expect(await panel.getByText('No temporary access code').count()).toBe(0);
    expect(s.problems).toEqual([]);
    await s.context.close();
  });

  it('an agent sees the Security panel read-only, with no action buttons', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'ada@example.com', 'Ada Agentview');
    await enrollTOTP(t, customer.client, 'contact', 'Phone');
    const agent = await createStaff(t, 'agent');
    const a = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, a, agent.email);
    const p = a.page;
    await p.goto(`/admin/contacts/${customer.id}`);
    const panel = p.getByRole('region', { name: 'Security' });
    await panel.getByRole('table', { name: 'Factors' }).getByRole('cell', { name: 'Phone', exact: true }).waitFor();
    await panel.getByText('Only a supervisor or an admin can change this customer’s MFA').waitFor();
    expect(await panel.getByRole('button').count()).toBe(0);
    expect(await panel.getByRole('group', { name: 'Security actions' }).count()).toBe(0);
    expect(a.problems).toEqual([]);
    await a.context.close();
  });
  it('an admin reads the audit log, checks the chain, and creates and revokes an API token with an inline step-up', async () => {
    const { t } = suite.web;
    const admin = await staffWithMFA(t, 'admin');
    const a = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, a, admin.email, admin.secret);
    const p = a.page;
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await p.getByRole('heading', { name: 'Audit log' }).waitFor();
    await p.getByLabel('Action').fill('mfa.reset');
    await p.getByRole('button', { name: 'Filter' }).click();
    await p.getByRole('table', { name: 'Audit entries' }).getByText('Customer changed phones').waitFor();
    // The entry was listed before filtering too: wait for the filtered export link itself.
    const csvLink = p.locator('a[href="/api/v1/audit-events/export?format=csv&action=mfa.reset"]');
    await csvLink.waitFor();
    expect(await csvLink.textContent()).toBe('Export CSV');
    // Who acted: the reset was a staff member's, so it stays under "A staff member".
    await p.getByLabel('Done by').selectOption('staff');
    await p.getByRole('button', { name: 'Filter' }).click();
    await p.locator('a[href="/api/v1/audit-events/export?format=csv&actorType=staff&action=mfa.reset"]').waitFor();
    await p.getByRole('table', { name: 'Audit entries' }).getByText('Customer changed phones').waitFor();
    await p.getByRole('button', { name: 'Verify chain' }).click();
    await p.getByRole('status').getByText(/Chain OK — \d+ entries checked/).waitFor();

    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API tokens' }).click();
    await p.getByLabel('Token name').fill('Nightly export');
    await p.getByLabel('audit:read').check();
    t.clock.advance(SIX_MINUTES);
    await p.getByRole('button', { name: 'Create token' }).click();
    const stepUp = p.getByRole('dialog', { name: 'Confirm it is you' });
    await stepUp.getByLabel('Code from your authenticator app').fill(codeFor(t, admin.secret));
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    expect(await p.getByLabel('New API token').innerText()).toMatch(/^pt_/);
    await p.getByRole('button', { name: 'I have stored it' }).click();
    const row = p.getByRole('row').filter({ hasText: 'Nightly export' });
    await row.getByRole('button', { name: 'Revoke Nightly export' }).click();
    await row.getByRole('button', { name: 'Yes, revoke' }).click();
    await row.getByText(/Revoked/).waitFor();
    await a.context.close();
  });
});
