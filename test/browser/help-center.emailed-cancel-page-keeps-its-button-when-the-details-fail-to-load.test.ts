import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { signUpContact } from '../helpers/app.js';
import { MailSink } from '../helpers/mail-sink.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage, type BrowserSuite } from './browser.js';
import { unexpected } from './mfa-steps.js';

// A customer emailed "our support team will change your two-step verification" opens the
// cancel link. The page first asks, read-only, what the link would cancel. When that lookup
// failed for any reason (a 503 while the server restarts, a proxy's error, a network blip) the
// page hid the Cancel button, while still saying "if you did not ask for it, cancel it now":
// the customer could not stop a possibly hostile MFA reset. Now only a lookup that says the link
// is not valid (or a change no longer pending) hides the button; any other failure says the
// details could not be loaded, that the button still works, and offers to load them again.

const LOOKUP = '/api/v1/auth/pending-actions/lookup';

/** The lookup (only) answers 503 while `failing()`, or, with `how: 'network'`, never arrives. */
async function failLookupWhile(p: Page, failing: () => boolean, how: '503' | 'network' = '503'): Promise<void> {
  await p.route(
    (url) => url.pathname === LOOKUP,
    (route) => {
      if (!failing()) return route.continue();
      if (how === 'network') return route.abort('connectionreset');
      return route.fulfill({
        status: 503,
        contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, code: 'unavailable', detail: 'The help center is restarting.' }),
      });
    },
  );
}

describe.skipIf(!hasChromium)('help center: the emailed cancel page keeps its button when the details fail to load', () => {
  const suite: BrowserSuite = useWebAppAndBrowser();
  let admin: StaffWithMFA | undefined;

  /** Support schedules an MFA reset for a new customer (24 h waiting period): its cancel link and id. */
  async function scheduledReset(): Promise<{ link: string; id: string }> {
    const { t } = suite.web;
    if (!admin) {
      admin = await staffWithMFA(t, 'admin');
      await admin.stepUp();
      expect((await admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'social engineering defence' })).statusCode).toBe(200);
    }
    const customer = await signUpContact(t);
    await enrollTOTP(t, customer.client);
    await admin.stepUp();
    const r = await admin.client.post(`/api/v1/contacts/${customer.id}/mfa/reset`, { reason: 'caller lost phone' });
    expect(r.statusCode, r.body).toBe(202);
    const link = MailSink.link(await t.mail.waitFor(customer.email, 'Our support team will change your two-step verification'), '/pending-actions/cancel');
    return { link, id: r.json().pendingActionId };
  }

  const status = async (id: string) => (await suite.web.t.ctx.db.selectFrom('pending_actions').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

  it('the lookup answers 503: the page says so, keeps the button, and pressing it cancels the change', async () => {
    const { link, id } = await scheduledReset();
    const w = await openPage(suite.browser, suite.web.baseURL);
    const p = w.page;
    const lookups: number[] = [];
    p.on('response', (res) => {
      if (new URL(res.url()).pathname === LOOKUP) lookups.push(res.status());
    });
    await failLookupWhile(p, () => true);
    await p.goto(link);

    // The lookup's failure is shown; the button to stop the change is still there.
    const alert = p.getByRole('alert');
    await alert.getByText(/The help center is restarting/).waitFor();
    const cancel = p.getByRole('button', { name: 'Cancel the change' });
    expect(await cancel.count()).toBe(1);
    await alert.getByText('Could not load the details of this change: The help center is restarting.').waitFor();
    await alert.getByText('You can still cancel it: the “Cancel the change” button below works without them.').waitFor();
    expect(lookups).toEqual([503]);
    // No details were shown, and the page did not claim the link is not valid.
    expect(await p.getByRole('definition').count()).toBe(0);
    expect(await p.getByText(/not valid/).count()).toBe(0);

    // Asking again while it still fails: asked once more, said again, the button still there.
    await p.getByRole('button', { name: 'Load the details again' }).click();
    await expect.poll(() => lookups).toEqual([503, 503]);
    await alert.getByText('Could not load the details of this change').waitFor();

    expect(await cancel.count()).toBe(1);
    expect(await cancel.isEnabled()).toBe(true);
    expect(await status(id)).toBe('pending');
    await cancel.click();
    await p.getByRole('status').getByText('Cancelled. Nothing will change on your account').waitFor();
    expect(await status(id)).toBe('cancelled');
    expect(unexpected(w.problems, [503])).toEqual([]);
  });

  it('the lookup never arrives (network): the button cancels; Load the details again brings the details once it answers', async () => {
    const { link, id } = await scheduledReset();
    const w = await openPage(suite.browser, suite.web.baseURL);
    const p = w.page;
    let failing = true;
    await failLookupWhile(p, () => failing, 'network');
    await p.goto(link);

    await p.getByRole('alert').getByText(/Could not reach the server/).waitFor();
    expect(await p.getByRole('button', { name: 'Cancel the change' }).count()).toBe(1);
    await p.getByRole('alert').getByText('Could not load the details of this change: Could not reach the server.').waitFor();

    failing = false;
    await p.getByRole('button', { name: 'Load the details again' }).click();
    await p.getByText('Our support team will reset the two-step verification of your account').waitFor();
    await p.getByRole('definition').getByText(/\(in 24 h\)/).waitFor();
    expect(await p.getByText('Could not load the details of this change').count()).toBe(0);
    expect(await p.getByRole('button', { name: 'Load the details again' }).count()).toBe(0);
    expect(await status(id)).toBe('pending');

    await p.getByRole('button', { name: 'Cancel the change' }).click();
    await p.getByRole('status').getByText('Cancelled. Nothing will change on your account').waitFor();
    expect(await status(id)).toBe('cancelled');
    expect(w.problems.filter((m) => !m.includes('net::ERR_CONNECTION_RESET'))).toEqual([]);
  });

  it('a link the lookup says is not valid still shows no button, and nothing to load again', async () => {
    // Well-formed, so the page asks the server, which answers 400 invalid_token.
    const w = await openPage(suite.browser, suite.web.baseURL);
    const p = w.page;
    await p.goto(`/pending-actions/cancel?token=${'A'.repeat(43)}`);
    await p.getByRole('alert').getByText(/This link is not valid/).waitFor();
    expect(await p.getByRole('button', { name: 'Cancel the change' }).count()).toBe(0);
    expect(await p.getByRole('button', { name: 'Load the details again' }).count()).toBe(0);
    expect(await p.getByText('Could not load the details of this change').count()).toBe(0);
    expect(unexpected(w.problems, [400])).toEqual([]);
  });
});
