// The staff MFA toolkit's remaining actions in the console, in Chromium: remove one
// authenticator, require MFA setup at next sign-in (and cancel it), sign out everywhere, and
// forget remembered devices. A supervisor signs in through the UI with an authenticator code and
// runs each action from a customer's Security panel; the test then checks the real effect through
// the customer's own API client and the database, not only what the page says.
import { describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { PASSWORD, signUpContact, type TestApp } from '../helpers/app.js';
import type { Client } from '../helpers/client.js';
import { codeFor, enrollTOTP, nextStep, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage, screenshot, type WatchedPage } from './browser.js';

/** A new supervisor with an authenticator app, signed in through the console's pages. */
async function supervisorInConsole(t: TestApp, browser: Browser, baseURL: string): Promise<WatchedPage> {
  const supervisor = await staffWithMFA(t, 'supervisor');
  const w = await openPage(browser, baseURL);
  const p = w.page;
  await p.goto('/admin/sign-in');
  await p.getByLabel('Email').fill(supervisor.email);
  await p.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await p.getByRole('button', { name: 'Sign in' }).click();
  nextStep(t);
  await p.getByLabel('6-digit code from your authenticator app').fill(codeFor(t, supervisor.secret));
  await p.getByRole('button', { name: 'Verify' }).click();
  await p.getByRole('heading', { name: 'Tickets' }).waitFor();
  return w;
}

/** Opens the customer's page in the console and waits for the Security panel's data. */
async function openSecurityPanel(p: Page, contactId: string): Promise<Locator> {
  await p.goto(`/admin/contacts/${contactId}`);
  const panel = p.getByRole('region', { name: 'Security' });
  await panel.getByLabel('MFA status').waitFor();
  return panel;
}

/** The "What will change" lines of an open dialog, as shown. */
async function changeLines(dialog: Locator): Promise<string[]> {
  const list = dialog.getByRole('list', { name: 'What will change' });
  await list.waitFor();
  return (await list.getByRole('listitem').allInnerTexts()).map((s) => s.trim());
}

/** The summary of a finished action ("What changed"), as label → value pairs. */
async function summaryOf(done: Locator): Promise<Record<string, string>> {
  const summary = done.getByLabel('What changed');
  await summary.waitFor();
  const pairs = await summary.locator('div').evaluateAll((rows) => rows.map((r) => [r.querySelector('dt')?.textContent ?? '', r.querySelector('dd')?.textContent ?? '']));
  return Object.fromEntries(pairs);
}

async function sessionState(c: Client): Promise<string> {
  return (await c.get('/api/v1/auth/session')).json().state;
}

async function auditOf(t: TestApp, action: string, contactId: string) {
  const rows = await t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', action).where('contact_id', '=', contactId).execute();
  return rows.map((e) => ({ reason: e.reason, verification: JSON.parse(e.verification ?? 'null'), details: JSON.parse(e.details ?? 'null') }));
}

describe.skipIf(!hasChromium)('console: the remaining staff MFA toolkit actions, run by a supervisor on customers', () => {
  const suite = useWebAppAndBrowser();

  it('removes one of two authenticator apps and signs the customer out everywhere; the other app stays', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'tess@example.com', 'Tess Twoapps');
    const phone = await enrollTOTP(t, customer.client, 'contact', 'Phone');
    // A second factor needs the customer's own step-up first.
    nextStep(t);
    const stepUp = await customer.client.post('/api/v1/auth/step-up', { method: 'totp', code: codeFor(t, phone.secret) });
    expect(stepUp.statusCode, stepUp.body).toBe(200);
    const tablet = await enrollTOTP(t, customer.client, 'contact', 'Tablet');
    expect(await sessionState(customer.client)).toBe('authenticated');

    const s = await supervisorInConsole(t, suite.browser, suite.web.baseURL);
    const sp = s.page;
    const panel = await openSecurityPanel(sp, customer.id);
    const factors = panel.getByRole('table', { name: 'Factors' });
    await factors.getByRole('cell', { name: 'Tablet', exact: true }).waitFor();
    await factors.getByRole('cell', { name: 'Phone', exact: true }).waitFor();

    await factors.getByRole('row').filter({ hasText: 'Tablet' }).getByRole('button', { name: 'Remove Tablet' }).click();
    const dialog = sp.getByRole('dialog', { name: 'Remove Tablet', exact: true });
    expect(await changeLines(dialog)).toEqual(['Removes 1 factor: Tablet (authenticator app)', 'Signs out 1 session']);
    const signOut = dialog.getByLabel('Sign out everywhere');
    expect(await signOut.isChecked()).toBe(true);
    // The list follows the option.
    await signOut.uncheck();
    expect(await changeLines(dialog)).toEqual(['Removes 1 factor: Tablet (authenticator app)', 'Keeps the current sessions signed in']);
    await signOut.check();
    expect(await changeLines(dialog)).toEqual(['Removes 1 factor: Tablet (authenticator app)', 'Signs out 1 session']);

    const submit = dialog.getByRole('button', { name: 'Remove Tablet', exact: true });
    expect(await submit.isDisabled()).toBe(true); // no reason yet
    await dialog.getByLabel('Reason').fill('Customer gave the tablet away');
    await dialog.getByRole('group', { name: 'Identity check' }).getByLabel('Called back the number on file').check();
    await dialog.getByLabel('Note on the check').fill('+1 555 0101');
    await submit.click();

    const done = sp.getByRole('dialog', { name: 'Remove Tablet: done' });
    expect(await summaryOf(done)).toEqual({ 'Factors removed': '1', 'Sessions signed out': '1' });
    await screenshot(sp, 'toolkit-remove-factor-done');
    await done.getByRole('button', { name: 'Done' }).click();
    await done.waitFor({ state: 'detached' });
    // The panel reloads after Done: wait for the new data, then the phone must still be listed.
    await factors.getByRole('cell', { name: 'Tablet', exact: true }).waitFor({ state: 'detached' });
    expect(await factors.getByRole('cell', { name: 'Phone', exact: true }).count()).toBe(1);
    await panel.getByText('Not signed in anywhere.').waitFor();

    // The real effect: the customer's session ended; only the phone is left, and it still signs in.
    expect(await sessionState(customer.client)).toBe('anonymous');
    const left = await t.ctx.db.selectFrom('mfa_factors').select(['id', 'name']).where('owner_kind', '=', 'contact').where('owner_id', '=', customer.id).execute();
    expect(left).toEqual([{ id: phone.factorId, name: 'Phone' }]);
    expect(left.map((f) => f.id)).not.toContain(tablet.factorId);
    const again = t.client();
    expect((await again.post('/api/v1/auth/login', { email: customer.email, password: PASSWORD })).json().state).toBe('mfa_required');
    nextStep(t);
    expect((await again.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, tablet.secret) })).statusCode).not.toBe(200);
    nextStep(t);
    expect((await again.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, phone.secret) })).json().state).toBe('authenticated');
    expect(await auditOf(t, 'mfa.factor.removed_by_staff', customer.id)).toEqual([
      {
        reason: 'Customer gave the tablet away',
        verification: { method: 'callback', note: '+1 555 0101' },
        details: expect.objectContaining({ factorId: tablet.factorId, name: 'Tablet', sessionsRevoked: 1 }),
      },
    ]);
    await t.mail.waitFor(customer.email, 'A sign-in method was removed from your account');
    expect(s.problems).toEqual([]);
    await s.context.close();
  });

  it('requires MFA setup at next sign-in, then cancels it; the panel follows and so does the customer’s sign-in', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'rae@example.com', 'Rae Required');
    const phone = await enrollTOTP(t, customer.client, 'contact', 'Phone');

    const s = await supervisorInConsole(t, suite.browser, suite.web.baseURL);
    const sp = s.page;
    const panel = await openSecurityPanel(sp, customer.id);
    const status = panel.getByLabel('MFA status');
    await status.getByText('Not required', { exact: true }).waitFor();
    const actions = panel.getByRole('group', { name: 'Security actions' });
    expect(await actions.getByRole('button', { name: 'Cancel required MFA setup' }).count()).toBe(0);

    await actions.getByRole('button', { name: 'Require MFA setup at next sign-in' }).click();
    let dialog = sp.getByRole('dialog', { name: 'Require MFA setup at next sign-in', exact: true });
    expect(await changeLines(dialog)).toEqual([
      'Signs out 1 session; forgets 0 remembered devices',
      'At the next sign-in the customer confirms with a factor they still have (never a remembered device) or a temporary access code, then must set up a new one',
      'Then removes the current 1 factor: Phone (authenticator app)',
    ]);
    await dialog.getByLabel('Reason').fill('Sign-ins from an unknown country');
    await dialog.getByRole('group', { name: 'Identity check' }).getByLabel('Other').check();
    await dialog.getByLabel('Note on the check').fill('Confirmed the last ticket number');
    await dialog.getByRole('button', { name: 'Require MFA setup at next sign-in', exact: true }).click();
    let done = sp.getByRole('dialog', { name: 'Require MFA setup at next sign-in: done' });
    expect(await summaryOf(done)).toEqual({ 'Sessions signed out': '1', 'Remembered devices forgotten': '0' });
    await done.getByRole('button', { name: 'Done' }).click();
    await status.getByText('Required', { exact: true }).waitFor();
    expect(await actions.getByRole('button', { name: 'Require MFA setup at next sign-in' }).count()).toBe(0);

    // The real effect: signed out; after the second step the session can only set up a new factor.
    expect(await sessionState(customer.client)).toBe('anonymous');
    const account = () => t.ctx.db.selectFrom('mfa_accounts').select(['enrollment_required', 'retire_factor_ids']).where('owner_kind', '=', 'contact').where('owner_id', '=', customer.id).executeTakeFirstOrThrow();
    expect(await account()).toEqual({ enrollment_required: 1, retire_factor_ids: JSON.stringify([phone.factorId]) });
    const during = t.client();
    expect((await during.post('/api/v1/auth/login', { email: customer.email, password: PASSWORD })).json().state).toBe('mfa_required');
    nextStep(t);
    expect((await during.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, phone.secret) })).json().state).toBe('enrollment_required');
    expect((await during.get('/api/v1/me/tickets')).json().code).toBe('enrollment_required');

    await actions.getByRole('button', { name: 'Cancel required MFA setup' }).click();
    dialog = sp.getByRole('dialog', { name: 'Cancel required MFA setup', exact: true });
    expect(await changeLines(dialog)).toEqual(['Cancels the required MFA setup; the current factors stay (Phone (authenticator app))']);
    await dialog.getByLabel('Reason').fill('The sign-ins were the customer travelling');
    await dialog.getByRole('button', { name: 'Cancel required MFA setup', exact: true }).click();
    done = sp.getByRole('dialog', { name: 'Cancel required MFA setup: done' });
    expect(await summaryOf(done)).toEqual({ Cancelled: 'yes' });
    await done.getByRole('button', { name: 'Done' }).click();
    await status.getByText('Not required', { exact: true }).waitFor();
    await actions.getByRole('button', { name: 'Require MFA setup at next sign-in' }).waitFor();
    expect(await actions.getByRole('button', { name: 'Cancel required MFA setup' }).count()).toBe(0);

    // The real effect: a normal sign-in again, the phone kept.
    expect(await account()).toEqual({ enrollment_required: 0, retire_factor_ids: null });
    const after = t.client();
    expect((await after.post('/api/v1/auth/login', { email: customer.email, password: PASSWORD })).json().state).toBe('mfa_required');
    nextStep(t);
    expect((await after.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, phone.secret) })).json().state).toBe('authenticated');
    expect((await after.get('/api/v1/me/tickets')).statusCode).toBe(200);
    expect((await after.get('/api/v1/me/mfa')).json().factors.map((f: { name: string }) => f.name)).toEqual(['Phone']);
    expect(await auditOf(t, 'mfa.enrollment_required', customer.id)).toEqual([
      {
        reason: 'Sign-ins from an unknown country',
        verification: { method: 'other', note: 'Confirmed the last ticket number' },
        details: expect.objectContaining({ sessionsRevoked: 1, rememberedDevicesRemoved: 0, factorsToRetire: 1 }),
      },
    ]);
    expect((await auditOf(t, 'mfa.enrollment_required.cancelled', customer.id)).map((e) => e.reason)).toEqual(['The sign-ins were the customer travelling']);
    expect(s.problems).toEqual([]);
    await s.context.close();
  });

  it('signs a customer out everywhere: every API client of theirs becomes anonymous', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'sam@example.com', 'Sam Sessions');
    const laptop = t.client();
    expect((await laptop.post('/api/v1/auth/login', { email: customer.email, password: PASSWORD })).json().state).toBe('authenticated');
    expect(await sessionState(customer.client)).toBe('authenticated');

    const s = await supervisorInConsole(t, suite.browser, suite.web.baseURL);
    const sp = s.page;
    const panel = await openSecurityPanel(sp, customer.id);
    await panel.getByRole('heading', { name: 'Active sessions (2)' }).waitFor();
    expect(await panel.getByRole('list', { name: 'Active sessions' }).getByRole('listitem').count()).toBe(2);

    await panel.getByRole('group', { name: 'Security actions' }).getByRole('button', { name: 'Sign out everywhere' }).click();
    const dialog = sp.getByRole('dialog', { name: 'Sign out everywhere', exact: true });
    expect(await changeLines(dialog)).toEqual(['Signs out 2 sessions']);
    await dialog.getByLabel('Reason').fill('Customer signed in on a shared computer');
    await dialog.getByRole('button', { name: 'Sign out everywhere', exact: true }).click();
    const done = sp.getByRole('dialog', { name: 'Sign out everywhere: done' });
    expect(await summaryOf(done)).toEqual({ 'Sessions signed out': '2' });
    await done.getByRole('button', { name: 'Done' }).click();
    await panel.getByRole('heading', { name: 'Active sessions (0)' }).waitFor();
    await panel.getByText('Not signed in anywhere.').waitFor();

    expect(await sessionState(customer.client)).toBe('anonymous');
    expect(await sessionState(laptop)).toBe('anonymous');
    expect((await customer.client.get('/api/v1/me/tickets')).statusCode).toBe(401);
    expect((await auditOf(t, 'sessions.revoked_by_staff', customer.id)).map((e) => [e.reason, e.details])).toEqual([['Customer signed in on a shared computer', { sessionsRevoked: 2 }]]);
    await t.mail.waitFor(customer.email, 'You were signed out everywhere');
    expect(s.problems).toEqual([]);
    await s.context.close();
  });

  it('forgets a customer’s remembered devices: the panel shows none and the device asks for the second step again', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'dev@example.com', 'Dev Device');
    const phone = await enrollTOTP(t, customer.client, 'contact', 'Phone');
    // The customer ticks "remember this device" at a sign-in.
    const device = t.client();
    expect((await device.post('/api/v1/auth/login', { email: customer.email, password: PASSWORD })).json().state).toBe('mfa_required');
    nextStep(t);
    const verified = await device.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, phone.secret), rememberDevice: true });
    expect(verified.json().state).toBe('authenticated');
    expect(device.cookies.get('portico_device')).toBeTruthy();
    // Remembered: the next sign-in on that device skips the second step.
    await device.post('/api/v1/auth/logout');
    expect((await device.post('/api/v1/auth/login', { email: customer.email, password: PASSWORD })).json().state).toBe('authenticated');

    const s = await supervisorInConsole(t, suite.browser, suite.web.baseURL);
    const sp = s.page;
    const panel = await openSecurityPanel(sp, customer.id);
    await panel.getByRole('heading', { name: 'Remembered devices (1)' }).waitFor();
    await panel.getByRole('list', { name: 'Remembered devices' }).getByText('Chrome on Linux').waitFor();

    await panel.getByRole('group', { name: 'Security actions' }).getByRole('button', { name: 'Forget remembered devices' }).click();
    const dialog = sp.getByRole('dialog', { name: 'Forget remembered devices', exact: true });
    expect(await changeLines(dialog)).toEqual(['Forgets 1 remembered device: Chrome on Linux; each will ask for the second step again']);
    await dialog.getByLabel('Reason').fill('Customer sold the old laptop');
    await dialog.getByRole('button', { name: 'Forget remembered devices', exact: true }).click();
    const done = sp.getByRole('dialog', { name: 'Forget remembered devices: done' });
    expect(await summaryOf(done)).toEqual({ 'Remembered devices forgotten': '1' });
    await done.getByRole('button', { name: 'Done' }).click();
    await panel.getByRole('heading', { name: 'Remembered devices (0)' }).waitFor();
    await panel.getByText('No remembered device.').waitFor();
    expect(await panel.getByRole('list', { name: 'Remembered devices' }).count()).toBe(0);

    // The real effect: none left in the database, and the device no longer skips the second step.
    const left = await t.ctx.db.selectFrom('remembered_devices').select('id').where('owner_kind', '=', 'contact').where('owner_id', '=', customer.id).execute();
    expect(left).toEqual([]);
    expect((await customer.client.get('/api/v1/me/mfa')).json().rememberedDevices).toEqual([]);
    await device.post('/api/v1/auth/logout');
    expect((await device.post('/api/v1/auth/login', { email: customer.email, password: PASSWORD })).json().state).toBe('mfa_required');
    expect((await auditOf(t, 'mfa.remembered_devices.revoked_by_staff', customer.id)).map((e) => [e.reason, e.details])).toEqual([['Customer sold the old laptop', { rememberedDevicesRemoved: 1 }]]);
    expect(s.problems).toEqual([]);
    await s.context.close();
  });
});
