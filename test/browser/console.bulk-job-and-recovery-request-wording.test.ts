import { describe, expect, it } from 'vitest';
import { signUpContact } from '../helpers/app.js';
import { enrollTOTP, staffWithMFA } from '../helpers/mfa.js';
import { generateID } from '../../src/crypto/random.js';
import { hasChromium, useWebAppAndBrowser, openPage } from './browser.js';
import { signInToConsole, signInWithPassword } from './mfa-steps.js';

describe.skipIf(!hasChromium)('wording: a failed bulk job says failed; a customer\'s recovery request shows no ticket id', () => {
  const suite = useWebAppAndBrowser();

  it('a bulk reset job that failed is shown as failed, not running, in the list and in its progress', async () => {
    const { t } = suite.web;
    const now = t.clock.now().toISOString();
    const id = generateID('job', t.clock.now());
    await t.ctx.db
      .insertInto('bulk_jobs')
      .values({ id, status: 'failed', filter: JSON.stringify({ all: true }), reason: 'Incident 42', require_enrollment: 1, actor_type: 'cli', actor_id: null, total: 3, done: 1, failed: 2, unknown_emails: '[]', created_at: now, started_at: now, finished_at: now, lease_owner: null, lease_until: null })
      .execute();
    const admin = await staffWithMFA(t, 'admin');
    const a = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, a, admin.email, admin.secret);
    await a.page.goto('/admin/bulk-reset');
    const recent = a.page.getByRole('region', { name: 'Recent bulk resets' });
    await recent.getByRole('button', { name: /failed, 1 of 3 reset/ }).click();
    const progress = a.page.getByRole('region', { name: `Bulk reset ${id}` });
    await progress.getByRole('heading', { name: 'Bulk reset failed' }).waitFor();
    expect(await progress.getByText(/running/i).count()).toBe(0);
    expect(await progress.getByRole('button', { name: 'Cancel the job' }).count()).toBe(0);
    expect(a.problems).toEqual([]);
    await a.context.close();
  });

  it('asking for help from the second step confirms the request without showing its internal id', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'ida@example.com', 'Ida Identifier');
    await enrollTOTP(t, customer.client, 'contact', 'Phone');
    const c = await openPage(suite.browser, suite.web.baseURL);
    await signInWithPassword(c.page, customer.email);
    await c.page.getByRole('link', { name: /Can.t use any of your methods/ }).click();
    await c.page.getByLabel('Describe the problem').fill('I lost my phone.');
    await c.page.getByRole('button', { name: 'Ask support for help' }).click();
    const status = c.page.getByRole('status');
    await status.getByText(/We opened a request and emailed you about it/).waitFor();
    expect(await status.innerText()).not.toMatch(/tk_/);
    await c.page.reload();
    await c.page.getByLabel('Describe the problem').fill('Again');
    await c.page.getByRole('button', { name: 'Ask support for help' }).click();
    await c.page.getByRole('status').getByText(/You already have an open request/).waitFor();
    expect(await c.page.getByRole('status').innerText()).not.toMatch(/tk_/);
    expect(c.problems.filter((p) => !p.endsWith('status of 409 (Conflict)'))).toEqual([]);
    await c.context.close();
  });
});
