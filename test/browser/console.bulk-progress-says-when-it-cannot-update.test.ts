import { describe, expect, it } from 'vitest';
import { staffWithMFA } from '../helpers/mfa.js';
import { seedEnrolledContacts } from '../helpers/seed.js';
import { hasChromium, openPage, useWebAppAndBrowser } from './browser.js';
import { signInToConsole, unexpected } from './mfa-steps.js';

/**
 * A bulk reset's progress page polls the job every second. When polls fail (the server
 * restarting, the network gone), the admin must be told the figures are stale and that the job
 * goes on; when polls work again the page catches up. Screen readers hear the status and each
 * quarter reached, not the figures that change every second.
 */
describe.skipIf(!hasChromium)('console: bulk reset progress when polling fails', () => {
  const suite = useWebAppAndBrowser();

  it('says progress could not be updated while polls fail, then shows the finished job; the live region is not the ticking figures', async () => {
    const { t } = suite.web;
    await seedEnrolledContacts(t.ctx, 5);
    const admin = await staffWithMFA(t, 'admin');
    const a = await openPage(suite.browser, suite.web.baseURL);
    const p = a.page;
    await signInToConsole(t, a, admin.email, admin.secret);

    let failing = true;
    await p.route(
      (url) => /^\/api\/v1\/mfa\/bulk-resets\/[^/]+$/.test(url.pathname),
      (route) =>
        failing && route.request().method() === 'GET'
          ? route.fulfill({
              status: 503,
              contentType: 'application/problem+json',
              body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, code: 'unavailable', detail: 'Portico is restarting.' }),
            })
          : route.continue(),
    );

    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Bulk reset' }).click();
    await p.getByLabel('All customers with two-step verification').check();
    await p.getByRole('button', { name: 'Preview' }).click();
    const heading = p.getByRole('heading', { name: /^\d+ customers will be reset$/ });
    await heading.waitFor();
    const total = Number((await heading.innerText()).split(' ')[0]);
    const start = p.getByRole('form', { name: 'Start the bulk reset' });
    await start.getByLabel('Reason').fill('Incident 43: testing stale progress');
    await start.getByLabel(`Type ${total} to confirm`).fill(String(total));
    await start.getByRole('button', { name: `Reset ${total} customers` }).click();
    await p.getByRole('progressbar', { name: 'Bulk reset progress' }).waitFor();

    const stale = p.getByRole('alert').filter({ hasText: 'Progress could not be updated' });
    await stale.waitFor();
    expect(await stale.innerText()).toContain('Portico is restarting.');
    expect(await stale.innerText()).toContain('The job goes on on the server');
    // While it waits, the live region holds the status alone (and the last quarter reached),
    // not the figures beside it. The job is as the start's answer read it back: queued, or
    // already picked up by the runner (which may have done every contact by then).
    const live = p.getByRole('region', { name: /^Bulk reset / }).getByRole('status');
    const figures = await p.getByText(new RegExp(`^(\\d+) of ${total} contacts processed \\((\\d+) %\\)`)).innerText();
    const percent = Number(/\((\d+) %\)/.exec(figures)![1]);
    const shown = await p.getByRole('heading', { name: /^Bulk reset (queued|running)$/ }).innerText();
    const heard = await live.innerText();
    expect(heard).not.toContain('processed');
    if (shown === 'Bulk reset queued') expect(heard).toBe('Bulk reset queued');
    else expect(heard).toBe(percent >= 25 ? `Bulk reset running: ${Math.floor(percent / 25) * 25} % done` : 'Bulk reset running');

    failing = false;
    await p.getByRole('heading', { name: 'Bulk reset completed' }).waitFor({ timeout: 30_000 });
    await stale.waitFor({ state: 'detached' });
    await p.getByText(`${total} of ${total} contacts processed (100 %) — ${total} reset, 0 failed`).waitFor();

    // The live region says what happened, once; the figures beside it are not in it.
    const region = p.getByRole('region', { name: /^Bulk reset / }).getByRole('status');
    expect(await region.innerText()).toBe(`Bulk reset completed: ${total} reset, 0 failed`);
    const bar = p.getByRole('progressbar', { name: 'Bulk reset progress' });
    expect(await bar.getAttribute('aria-valuetext')).toBe(`${total} of ${total} contacts (100 %)`);
    expect(unexpected(a.problems, [503])).toEqual([]);
  });
});
