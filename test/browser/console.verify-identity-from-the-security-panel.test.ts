import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { signUpContact, type TestApp } from '../helpers/app.js';
import { enrollTOTP, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, openPage, screenshot, useWebAppAndBrowser } from './browser.js';
import { signInToConsole } from './mfa-steps.js';

const codeEmails = (t: TestApp, email: string) => t.mail.to(email).filter((m) => /verification code/i.test(m.subject));

/** The panel's "Verify identity": send the code, read it from the real email, confirm it. */
async function verifyIdentity(t: TestApp, p: Page, email: string): Promise<void> {
  const panel = p.getByRole('region', { name: 'Security' });
  const before = codeEmails(t, email).length;
  await panel.getByRole('group', { name: 'Security actions' }).getByRole('button', { name: 'Verify identity' }).click();
  const dialog = p.getByRole('dialog', { name: 'Verify identity' });
  await dialog.getByText(/6-digit code to the customer’s email address on file/).waitFor();
  expect(await dialog.getByLabel('Code read back').count()).toBe(0);
  await dialog.getByRole('button', { name: 'Send code' }).click();
  // Code sent: said in a status, with how long the code lasts.
  await dialog.getByRole('status').getByText(/Code sent to the email address on file/).waitFor();
  expect(await dialog.getByRole('status').innerText()).toMatch(/valid 10 minutes/);
  await dialog.getByRole('button', { name: 'Send a new code' }).waitFor();
  for (let i = 0; codeEmails(t, email).length <= before; i++) {
    if (i > 100) throw new Error('the identity-check email did not arrive');
    await new Promise((r) => setTimeout(r, 50));
  }
  const mails = codeEmails(t, email);
  await dialog.getByLabel('Code read back').fill(/verification code is (\d{6})/.exec(mails[mails.length - 1].text)![1]);
  await dialog.getByRole('button', { name: 'Confirm code' }).click();
  // Confirmed: single-use, 30 minutes, kept for the next action.
  const confirmed = dialog.getByRole('status').filter({ hasText: 'Identity confirmed' });
  await confirmed.waitFor();
  expect(await confirmed.innerText()).toMatch(/next action/);
  expect(await confirmed.innerText()).toMatch(/once/);
  expect(await confirmed.innerText()).toMatch(/30 minutes/);
  await screenshot(p, 'verify-identity-confirmed');
  await dialog.getByRole('button', { name: 'Done' }).click();
  await dialog.waitFor({ state: 'detached' });
}

describe.skipIf(!hasChromium)('console: "Verify identity" on the Security panel', () => {
  const suite = useWebAppAndBrowser();

  it('confirms the emailed code on its own; the next action records it once; a check left 30 minutes expires', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'vera@example.com', 'Vera Verified');
    await enrollTOTP(t, customer.client, 'contact', 'Phone');
    const sup = await staffWithMFA(t, 'supervisor');
    const s = await openPage(suite.browser, suite.web.baseURL);
    // The browser's clock, so that the 30 minutes can pass without waiting for them.
    await s.context.clock.install();
    await signInToConsole(t, s, sup.email, sup.secret);
    const p = s.page;
    await p.goto(`/admin/contacts/${customer.id}`);
    const panel = p.getByRole('region', { name: 'Security' });
    const actions = panel.getByRole('group', { name: 'Security actions' });
    await actions.getByRole('button', { name: 'Verify identity' }).waitFor();
    expect(await panel.getByRole('status').filter({ hasText: /Identity (confirmed|check)/ }).count()).toBe(0);

    await verifyIdentity(t, p, customer.email);
    const state = panel.getByRole('status').filter({ hasText: /Identity/ });
    await state.getByText(/Identity confirmed by the code emailed to the address on file/).waitFor();
    expect(await state.innerText()).toMatch(/next action you open here records it/);
    expect(await state.innerText()).toMatch(/once, until .+ \(30 minutes\)/);
    await screenshot(p, 'verify-identity-panel');

    // The next action opened from the panel carries the confirmed check.
    await actions.getByRole('button', { name: 'Sign out everywhere' }).click();
    let dialog = p.getByRole('dialog', { name: 'Sign out everywhere' });
    expect(await dialog.getByLabel('Email a code to the customer').isChecked()).toBe(true);
    await dialog.getByText(/Email on file verified/).waitFor();
    expect(await dialog.getByRole('button', { name: 'Send code' }).count()).toBe(0);
    await dialog.getByLabel('Reason').fill('Caller verified by emailed code');
    await dialog.getByRole('button', { name: 'Sign out everywhere' }).click();
    await p.getByRole('dialog', { name: 'Sign out everywhere: done' }).getByRole('button', { name: 'Done' }).click();
    const recorded = await t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', 'sessions.revoked_by_staff').where('contact_id', '=', customer.id).executeTakeFirstOrThrow();
    const confirmedEvent = await t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', 'identity_check.confirmed').where('contact_id', '=', customer.id).executeTakeFirstOrThrow();
    expect(JSON.parse(recorded.verification ?? 'null')).toMatchObject({ method: 'email_code', checkId: JSON.parse(confirmedEvent.details ?? '{}').checkId });

    // Single-use: the panel says it was used, and the following action starts with no check.
    await state.getByText(/recorded with “Sign out everywhere”/).waitFor();
    expect(await state.innerText()).toMatch(/Verify identity again/);
    await actions.getByRole('button', { name: 'Forget remembered devices' }).click();
    dialog = p.getByRole('dialog', { name: 'Forget remembered devices' });
    expect(await dialog.getByLabel('None').isChecked()).toBe(true);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });

    // A check confirmed and left unused for 30 minutes expires: the panel says so and stops offering it.
    await verifyIdentity(t, p, customer.email);
    await state.getByText(/Identity confirmed by the code emailed/).waitFor();
    await s.context.clock.fastForward('31:00');
    t.clock.advance(31 * 60_000);
    await state.getByText(/expired/).waitFor();
    expect(await state.innerText()).toMatch(/was not used/);
    await screenshot(p, 'verify-identity-expired');
    await actions.getByRole('button', { name: 'Forget remembered devices' }).click();
    dialog = p.getByRole('dialog', { name: 'Forget remembered devices' });
    expect(await dialog.getByLabel('None').isChecked()).toBe(true);
    expect(await dialog.getByText(/Email on file verified/).count()).toBe(0);
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    expect(s.problems).toEqual([]);
    await s.context.close();
  });

  it('an agent is not offered "Verify identity" (sending a code needs a supervisor or an admin)', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'walt@example.com', 'Walt Waiting');
    const agent = await staffWithMFA(t, 'agent');
    const a = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, a, agent.email, agent.secret);
    await a.page.goto(`/admin/contacts/${customer.id}`);
    const panel = a.page.getByRole('region', { name: 'Security' });
    await panel.getByText('Only a supervisor or an admin can change this customer’s MFA').waitFor();
    expect(await panel.getByRole('button', { name: 'Verify identity' }).count()).toBe(0);
    expect(a.problems).toEqual([]);
    await a.context.close();
  });
});
