import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PASSWORD, signUpContact, type TestApp } from '../helpers/app.js';
import { codeFor, enrollTOTP, staffWithMFA } from '../helpers/mfa.js';
import { seedEnrolledContacts } from '../helpers/seed.js';
import { generateID, generateToken } from '../../src/crypto/random.js';
import { hashToken } from '../../src/crypto/hash.js';
import { hasChromium, useWebAppAndBrowser, openPage, watchDenials } from './browser.js';
import { signInToConsole } from './mfa-steps.js';

const SIX_MINUTES = 6 * 60_000;

/** Answers the inline step-up dialog with the staff member's current authenticator code. */
async function passStepUp(t: TestApp, p: Page, secret: Buffer): Promise<void> {
  const stepUp = p.getByRole('dialog', { name: 'Confirm it is you' });
  await stepUp.getByLabel('Code from your authenticator app').fill(codeFor(t, secret));
  await stepUp.getByRole('button', { name: 'Confirm' }).click();
  await stepUp.waitFor({ state: 'detached' });
}

describe.skipIf(!hasChromium)('console: identity checks ask for the step-up; scheduled changes come a page at a time', () => {
  const suite = useWebAppAndBrowser();

  it('sending and confirming an emailed code with a stale step-up asks for it inline, in an action dialog and on a recovery ticket', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'ivy@example.com', 'Ivy Identity');
    await enrollTOTP(t, customer.client, 'contact', 'Phone');
    const sup = await staffWithMFA(t, 'supervisor');
    const s = await openPage(suite.browser, suite.web.baseURL);
    const denials = watchDenials(s);
    await signInToConsole(t, s, sup.email, sup.secret);

    // In the action dialog: the code goes out only after the step-up, then the check confirms after another.
    await s.page.goto(`/admin/contacts/${customer.id}`);
    const panel = s.page.getByRole('region', { name: 'Security' });
    await panel.getByRole('button', { name: 'Require MFA setup at next sign-in' }).click();
    const dialog = s.page.getByRole('dialog', { name: 'Require MFA setup at next sign-in' });
    await dialog.getByLabel('Reason').fill('Caller reports a stolen phone');
    await dialog.getByLabel('Email a code to the customer').check();
    t.clock.advance(SIX_MINUTES);
    await dialog.getByRole('button', { name: 'Send code' }).click();
    await passStepUp(t, s.page, sup.secret);
    const first = await t.mail.waitFor(customer.email, /verification code/i);
    await dialog.getByLabel('Code read back').fill(/verification code is (\d{6})/.exec(first.text)![1]);
    t.clock.advance(SIX_MINUTES);
    await dialog.getByRole('button', { name: 'Confirm code' }).click();
    await passStepUp(t, s.page, sup.secret);
    await dialog.getByText('Email on file verified').waitFor();
    await dialog.getByRole('button', { name: 'Require MFA setup at next sign-in' }).click();
    await s.page.getByRole('dialog', { name: 'Require MFA setup at next sign-in: done' }).getByRole('button', { name: 'Done' }).click();
    const used = await t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', 'mfa.enrollment_required').where('contact_id', '=', customer.id).executeTakeFirstOrThrow();
    expect(JSON.parse(used.verification ?? 'null')).toMatchObject({ method: 'email_code' });
    expect(denials).toEqual(['step_up_required', 'step_up_required']);

    // On a recovery ticket's checklist (no action dialog around it): the same inline step-up.
    const caller = t.client();
    expect((await caller.post('/api/v1/auth/login', { email: customer.email, password: PASSWORD })).json().state).toBe('mfa_required');
    const { ticketId } = (await caller.post('/api/v1/auth/mfa/recovery-requests', { message: 'I lost my phone' })).json();
    await s.page.goto(`/admin/tickets/${ticketId}`);
    const list = s.page.getByRole('region', { name: 'Identity checklist' });
    t.clock.advance(SIX_MINUTES);
    await list.getByRole('button', { name: 'Send code' }).click();
    await passStepUp(t, s.page, sup.secret);
    await list.getByLabel('Code read back').waitFor();
    // A second code email arrives (the first was the action dialog's).
    const codeEmails = () => t.mail.to(customer.email).filter((m) => /verification code/i.test(m.subject));
    for (let i = 0; codeEmails().length < 2; i++) {
      if (i > 100) throw new Error('the checklist\'s code email did not arrive');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(codeEmails()).toHaveLength(2);
    expect(denials).toEqual(['step_up_required', 'step_up_required', 'step_up_required']);
    // The browser logs each 403 it was given; nothing else went wrong.
    expect(s.problems.filter((p) => !p.endsWith('status of 403 (Forbidden)'))).toEqual([]);
    await s.context.close();
  });

  it('the Scheduled changes page shows 50 at a time, newest first, and "Show more changes" brings the rest', async () => {
    const { t } = suite.web;
    // 52 scheduled resets, straight into the database (as a waiting period would leave them).
    const contacts = await seedEnrolledContacts(t.ctx, 52);
    const start = t.clock.now().getTime();
    const rows = contacts.map((id, i) => {
      const at = new Date(start + i * 60_000);
      return {
        id: generateID('pa', at),
        kind: 'reset' as const,
        owner_kind: 'contact' as const,
        owner_id: id,
        params: JSON.stringify({ requireEnrollment: true }),
        reason: `Scheduled reset number ${i + 1}`,
        verification: null,
        actor_type: 'system' as const,
        actor_id: null,
        status: 'pending' as const,
        created_at: at.toISOString(),
        effective_at: new Date(at.getTime() + 24 * 3600_000).toISOString(),
        finished_at: null,
        cancelled_by: null,
        cancel_token_hash: hashToken(generateToken()),
      };
    });
    await t.ctx.db.insertInto('pending_actions').values(rows).execute();

    const admin = await staffWithMFA(t, 'admin');
    const a = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, a, admin.email, admin.secret);
    await a.page.goto('/admin/pending-actions');
    const list = a.page.getByRole('list', { name: 'Scheduled changes' });
    await list.getByText('reason: Scheduled reset number 52').waitFor();
    expect(await list.getByRole('listitem').count()).toBe(50);
    expect(await list.getByText('reason: Scheduled reset number 2', { exact: false }).count()).toBeGreaterThan(0);
    expect(await list.getByText(/reason: Scheduled reset number 1$/).count()).toBe(0);
    const more = a.page.getByRole('button', { name: 'Show more changes' });
    await more.click();
    await list.getByText(/reason: Scheduled reset number 1$/).waitFor();
    expect(await list.getByRole('listitem').count()).toBe(52);
    await more.waitFor({ state: 'detached' });
    const reasons = (await list.getByRole('listitem').allInnerTexts()).map((x) => Number(/number (\d+)/.exec(x)![1]));
    expect(reasons).toEqual(Array.from({ length: 52 }, (_, i) => 52 - i));

    // Another filter starts over, with a clear empty state.
    await a.page.getByLabel('Show').selectOption('failed');
    await a.page.getByText('No failed changes.').waitFor();
    expect(await a.page.getByRole('button', { name: 'Show more changes' }).count()).toBe(0);
    expect(a.problems).toEqual([]);
    await t.ctx.db.deleteFrom('pending_actions').execute();
    await a.context.close();
  });
});
