import { describe, expect, it } from 'vitest';
import { staffWithMFA } from '../helpers/mfa.js';
import type { TestApp } from '../helpers/app.js';
import { hasChromium, useWebAppAndBrowser, openPage } from './browser.js';
import { signInToConsole } from './mfa-steps.js';

const DAY = 24 * 3600_000;

async function unsent(t: TestApp): Promise<number> {
  const r = await t.ctx.db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('sent_at', 'is', null).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Waits until the emails the setup sent (sign-in notices and such) have gone out. */
async function drained(t: TestApp, left: number): Promise<void> {
  for (let i = 0; (await unsent(t)) !== left; i++) {
    if (i > 250) throw new Error(`the outbox never drained to ${left}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Nothing failing is not the same as everything delivered: with an email still waiting its
// turn, the page must not say "Every email was delivered".
describe.skipIf(!hasChromium)('console: the outbox says "delivered" only when nothing waits', () => {
  const suite = useWebAppAndBrowser();

  it('with a queued email and none failing it says "No failing deliveries", and "delivered" once nothing is queued', async () => {
    const { t } = suite.web;
    const admin = await staffWithMFA(t, 'admin');
    const a = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, a, admin.email, admin.secret);
    await drained(t, 0);
    // An email waiting its turn (not tried yet, so not failing).
    const now = t.clock.now();
    await t.ctx.db
      .insertInto('outbox')
      .values({ id: 'em_waiting_test', recipient: 'waiting@example.com', subject: 'Waiting its turn', text_body: 'Hello', html_body: '<p>Hello</p>', created_at: now.toISOString(), next_attempt_at: new Date(now.getTime() + DAY).toISOString(), sent_at: null, last_error: null, locked_until: null, rendered_at_delivery: null })
      .execute();

    const p = a.page;
    await p.goto('/admin/outbox');
    await p.getByRole('status').getByText('1 email waiting to be sent; 0 failing and being retried.').waitFor();
    await p.getByText('No failing deliveries').waitFor();
    expect(await p.getByText(/delivered/).count()).toBe(0);
    expect(await p.getByRole('table', { name: 'Failing deliveries' }).count()).toBe(0);

    // Sent: now every email was delivered.
    await t.ctx.db.updateTable('outbox').set({ sent_at: t.clock.now().toISOString() }).where('id', '=', 'em_waiting_test').execute();
    await drained(t, 0);
    await p.reload();
    await p.getByRole('status').getByText('0 emails waiting to be sent; 0 failing and being retried.').waitFor();
    await p.getByText(/No failing deliveries/).waitFor();
    await p.getByText(/every email was delivered/i).waitFor();
    expect(a.problems).toEqual([]);
    await a.context.close();
  });
});
