import { describe, expect, it } from 'vitest';
import { generateID } from '../../src/crypto/random.js';
import type { TestApp } from '../helpers/app.js';
import { staffWithMFA } from '../helpers/mfa.js';
import { seedEnrolledContacts } from '../helpers/seed.js';
import { staffWithRole } from '../helpers/staff-session.js';
import type { Client } from '../helpers/client.js';
import { hasChromium, openPage, screenshot, useWebAppAndBrowser } from './browser.js';
import { signInToConsole } from './mfa-steps.js';

// STYLE.md 10: every destructive staff action shows what it will remove before it does.
// Deactivating a staff member said only "signed out everywhere and their API tokens revoked",
// a demotion said nothing of what it takes back, and revoking a token said only "Anything
// using it stops working", while each also cancels the bulk resets, scheduled changes and
// temporary access codes made under that authority. The confirmations now count them (and say
// nothing more when there are none), and the token list names each token's owner.

async function rename(t: TestApp, id: string, name: string): Promise<void> {
  await t.ctx.db.updateTable('staff').set({ name }).where('id', '=', id).execute();
}

async function expectStatus(r: Promise<{ statusCode: number; body: string }>, status: number): Promise<void> {
  const res = await r;
  expect(res.statusCode, res.body).toBe(status);
}

/** Sets the waiting period through another admin's fresh session. */
async function waitingPeriod(helper: Client, hours: number): Promise<void> {
  await expectStatus(helper.put('/api/v1/settings/mfa', { waitingPeriodHours: hours, reason: 'social engineering defence' }), 200);
}

/**
 * A bulk reset the admin started, running on another instance (its lease held there), so this
 * app's own runner leaves it running while the page is read.
 */
async function runningBulkReset(t: TestApp, adminID: string): Promise<void> {
  const now = t.clock.now();
  await t.ctx.db
    .insertInto('bulk_jobs')
    .values({
      id: generateID('job', now),
      status: 'running',
      filter: JSON.stringify({ emails: ['someone@example.com'] }),
      reason: 'incident 7',
      require_enrollment: 0,
      actor_type: 'staff',
      actor_id: adminID,
      total: 1,
      unknown_emails: '[]',
      created_at: now.toISOString(),
      started_at: now.toISOString(),
      finished_at: null,
      lease_owner: 'another-instance',
      lease_until: new Date(now.getTime() + 3_600_000).toISOString(),
    })
    .execute();
}

const issueCode = (by: Client, kind: 'contacts' | 'staff', id: string) => by.post(`/api/v1/${kind}/${id}/mfa/temporary-codes`, { reason: 'caller locked out', verification: { method: 'callback' }, ttlMinutes: 4320 });

describe.skipIf(!hasChromium)('console: deactivation, demotion and revocation say what else they cancel', () => {
  const suite = useWebAppAndBrowser();

  it('the staff page counts the scheduled changes, codes, tokens and bulk resets a deactivation or demotion takes back', async () => {
    const { t } = suite.web;
    const admin = await staffWithMFA(t, 'admin');
    const { client: helper } = await staffWithRole(t, 'admin');
    const [c1, c2, c3] = await seedEnrolledContacts(t.ctx, 3);

    // A supervisor with two live codes, one scheduled reset and a token in their name.
    const { account: rory, client: roryClient } = await staffWithRole(t, 'supervisor');
    await rename(t, rory.id, 'Rory Rogue');
    await expectStatus(issueCode(roryClient, 'contacts', c1), 201);
    await expectStatus(issueCode(roryClient, 'contacts', c2), 201);
    await waitingPeriod(helper, 24);
    await expectStatus(roryClient.post(`/api/v1/contacts/${c3}/mfa/reset`, { reason: 'caller lost phone', verification: { method: 'callback' } }), 202);
    await waitingPeriod(helper, 0);
    await expectStatus(helper.post('/api/v1/api-tokens', { name: 'rory desk', scopes: ['contacts:read'], staffId: rory.id }), 201);

    // An admin with a bulk reset queued and a code for a colleague's staff account.
    const { account: ada, client: adaClient } = await staffWithRole(t, 'admin');
    await rename(t, ada.id, 'Ada Incident');
    await runningBulkReset(t, ada.id);
    const colleague = await staffWithMFA(t, 'agent');
    await expectStatus(issueCode(adaClient, 'staff', colleague.id), 201);

    // An agent who made nothing.
    const { account: nora } = await staffWithRole(t, 'agent');
    await rename(t, nora.id, 'Nora Nothing');

    const a = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, a, admin.email, admin.secret);
    const p = a.page;
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Staff' }).click();
    const row = (name: string) => p.getByRole('table', { name: 'Staff members' }).getByRole('row').filter({ has: p.getByRole('link', { name, exact: true }) });

    // Deactivating the supervisor: their token, the scheduled reset and the two codes.
    await row('Rory Rogue').getByRole('button', { name: 'Deactivate Rory Rogue' }).click();
    const rorysConfirm = p.getByRole('group', { name: 'Confirm: Deactivate Rory Rogue' });
    await rorysConfirm.waitFor();
    const yes = rorysConfirm.getByRole('button', { name: 'Yes, deactivate' });
    await expect.poll(() => yes.evaluate((el) => el === document.activeElement)).toBe(true);
    const rorysQuestion = await rorysConfirm.locator('.confirm-question').textContent();
    expect(rorysQuestion).toBe('Rory Rogue will be signed out everywhere and their API tokens revoked (1 token, counting any they made for others). This also cancels 1 scheduled change, and voids 2 temporary access codes.');
    // The Yes button is described by the whole question, counts included.
    const describedBy = await yes.getAttribute('aria-describedby');
    expect(await p.locator(`[id="${describedBy}"]`).textContent()).toBe(rorysQuestion);
    await screenshot(p, 'deactivate-confirmation-counts');
    await yes.click();
    await p.getByRole('status').getByText('Rory Rogue was deactivated.').waitFor();
    const entry = await t.ctx.db.selectFrom('audit_events').select('details').where('staff_id', '=', rory.id).where('action', '=', 'staff.deactivated').executeTakeFirstOrThrow();
    expect(JSON.parse(entry.details!)).toMatchObject({ tokensRevoked: 1, pendingActionsCancelled: 1, temporaryCodesVoided: 2 });

    // Moving the admin to supervisor: the bulk reset and the staff account's code go; no token is revoked.
    await p.getByLabel('Role of Ada Incident').selectOption('supervisor');
    const adasConfirm = p.getByRole('group', { name: 'Confirm: change the role of Ada Incident' });
    await adasConfirm.getByText('This also cancels 1 running bulk reset, and voids 1 temporary access code.').waitFor();
    const adasQuestion = await adasConfirm.locator('.confirm-question').textContent();
    expect(adasQuestion).toMatch(/^Change Ada Incident's role from Admin to Supervisor\? .* This also cancels 1 running bulk reset, and voids 1 temporary access code\.$/);
    expect(adasQuestion).not.toContain('revoked');
    expect(adasQuestion).not.toContain('token,');
    // The select, where the focus stays, is described by the whole question.
    expect(await p.getByRole('combobox', { name: 'Role of Ada Incident' }).getAttribute('aria-describedby')).toBe(await adasConfirm.locator('.confirm-question').getAttribute('id'));
    await adasConfirm.getByRole('button', { name: 'Yes, make supervisor' }).click();
    await p.getByRole('status').getByText('Ada Incident is now supervisor.').waitFor();
    const demoted = await t.ctx.db.selectFrom('audit_events').select('details').where('staff_id', '=', ada.id).where('action', '=', 'staff.role_changed').executeTakeFirstOrThrow();
    expect(JSON.parse(demoted.details!)).toMatchObject({ bulkJobsCancelled: 1, temporaryCodesVoided: 1 });

    // Nothing to take back: nothing more is said.
    await row('Nora Nothing').getByRole('button', { name: 'Deactivate Nora Nothing' }).click();
    const norasConfirm = p.getByRole('group', { name: 'Confirm: Deactivate Nora Nothing' });
    await norasConfirm.getByRole('button', { name: 'Yes, deactivate' }).waitFor();
    expect(await norasConfirm.locator('.confirm-question').textContent()).toBe('Nora Nothing will be signed out everywhere and their API tokens revoked.');
    await norasConfirm.getByRole('button', { name: 'Cancel' }).click();
    await p.getByLabel('Role of Nora Nothing').selectOption('supervisor');
    const raise = p.getByRole('group', { name: 'Confirm: change the role of Nora Nothing' });
    await raise.getByRole('button', { name: 'Yes, make supervisor' }).waitFor();
    expect(await raise.textContent()).not.toContain('This also');
    await raise.getByRole('button', { name: 'Cancel' }).click();
    expect(a.problems).toEqual([]);
    await a.context.close();
  });

  it("the token list names each token's owner, and revoking one counts what it started, scheduled and issued", async () => {
    const { t } = suite.web;
    const admin = await staffWithMFA(t, 'admin');
    const { client: helper } = await staffWithRole(t, 'admin');
    const { account: owen } = await staffWithRole(t, 'supervisor');
    await rename(t, owen.id, 'Owen Owner');
    const made = await helper.post('/api/v1/api-tokens', { name: 'help desk bot', scopes: ['mfa:manage', 'contacts:read'], staffId: owen.id });
    expect(made.statusCode, made.body).toBe(201);
    const token = made.json().token as string;
    const asToken = (url: string, body: object) => t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    const [c1, c2, c3] = await seedEnrolledContacts(t.ctx, 3);
    await expectStatus(asToken(`/api/v1/contacts/${c1}/mfa/temporary-codes`, { reason: 'caller locked out' }), 201);
    await waitingPeriod(helper, 24);
    await expectStatus(asToken(`/api/v1/contacts/${c2}/mfa/reset`, { reason: 'caller lost phone' }), 202);
    await expectStatus(asToken(`/api/v1/contacts/${c3}/mfa/temporary-codes`, { reason: 'caller locked out' }), 202);
    await waitingPeriod(helper, 0);
    await expectStatus(helper.post('/api/v1/api-tokens', { name: 'quiet sync', scopes: ['contacts:read'], staffId: owen.id }), 201);

    const a = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, a, admin.email, admin.secret);
    const p = a.page;
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API tokens' }).click();
    const table = p.getByRole('table', { name: 'API tokens' });
    await table.waitFor();
    expect(await table.getByRole('columnheader', { name: 'Owner' }).count()).toBe(1);
    const bot = table.getByRole('row').filter({ hasText: 'help desk bot' });
    expect(await bot.getByRole('cell', { name: 'Owen Owner' }).count()).toBe(1);

    await bot.getByRole('button', { name: 'Revoke help desk bot' }).click();
    const confirm = bot.getByRole('group', { name: 'Confirm: Revoke help desk bot' });
    await confirm.getByRole('button', { name: 'Yes, revoke' }).waitFor();
    expect(await confirm.locator('.confirm-question').textContent()).toBe(
      'Anything using Owen Owner\'s token "help desk bot" stops working at once. This also cancels 2 scheduled changes, and voids 1 temporary access code.',
    );
    await screenshot(p, 'revoke-confirmation-counts');
    await confirm.getByRole('button', { name: 'Yes, revoke' }).click();
    await bot.getByText(/Revoked/).waitFor();
    const entry = await t.ctx.db.selectFrom('audit_events').select('details').where('action', '=', 'api_token.revoked').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect(JSON.parse(entry.details!)).toMatchObject({ pendingActionsCancelled: 2, temporaryCodesVoided: 1 });

    const quiet = table.getByRole('row').filter({ hasText: 'quiet sync' });
    await quiet.getByRole('button', { name: 'Revoke quiet sync' }).click();
    const quietConfirm = quiet.getByRole('group', { name: 'Confirm: Revoke quiet sync' });
    await quietConfirm.getByRole('button', { name: 'Yes, revoke' }).waitFor();
    expect(await quietConfirm.locator('.confirm-question').textContent()).toBe('Anything using Owen Owner\'s token "quiet sync" stops working at once.');
    await quietConfirm.getByRole('button', { name: 'Cancel' }).click();
    expect(a.problems).toEqual([]);
    await a.context.close();
  });
});
