import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { signUpContact } from '../helpers/app.js';
import { enrollTOTP, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage } from './browser.js';
import { signInToConsole } from './mfa-steps.js';

const SIX_MINUTES = 6 * 60_000;

/** Where the keyboard focus is: the accessible name of the dialog around it (or null), and its label. */
function focusIn(p: Page): Promise<{ dialog: string | null; tag: string; text: string }> {
  return p.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    const d = el?.closest('dialog, [role="dialog"]');
    const title = d ? document.getElementById(d.getAttribute('aria-labelledby') ?? '')?.textContent ?? '?' : null;
    return { dialog: title, tag: el?.tagName ?? '', text: (el?.textContent || (el as HTMLInputElement | null)?.labels?.[0]?.textContent || '').trim() };
  });
}

describe.skipIf(!hasChromium)('console: the action and step-up dialogs are modal for the keyboard', () => {
  const suite = useWebAppAndBrowser();

  it('focus moves into the dialog, Tab stays in it, Escape closes it and focus returns to the button that opened it', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'mo@example.com', 'Mo Modal');
    await enrollTOTP(t, customer.client, 'contact', 'Phone');
    const sup = await staffWithMFA(t, 'supervisor');
    const s = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, s, sup.email, sup.secret);
    const p = s.page;
    await p.goto(`/admin/contacts/${customer.id}`);
    const panel = p.getByRole('region', { name: 'Security' });
    const opener = panel.getByRole('button', { name: 'Sign out everywhere' });
    await opener.click();
    const dialog = p.getByRole('dialog', { name: 'Sign out everywhere' });
    await dialog.waitFor();
    // The first field has the focus.
    await expect.poll(() => focusIn(p)).toMatchObject({ dialog: 'Sign out everywhere', tag: 'TEXTAREA' });
    // Tab never reaches the page behind.
    for (let i = 0; i < 25; i++) {
      await p.keyboard.press('Tab');
      const f = await focusIn(p);
      if (f.tag !== 'BODY') expect(f.dialog).toBe('Sign out everywhere');
    }
    await p.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => focusIn(p)).toMatchObject({ dialog: null, tag: 'BUTTON', text: 'Sign out everywhere' });

    // The step-up dialog over an action dialog: focus on its code field, Escape closes only it.
    await opener.click();
    await dialog.getByLabel('Reason').fill('Caller asked');
    t.clock.advance(SIX_MINUTES);
    await dialog.getByRole('button', { name: 'Sign out everywhere' }).click();
    const stepUp = p.getByRole('dialog', { name: 'Confirm it is you' });
    await stepUp.waitFor();
    await expect.poll(() => focusIn(p)).toMatchObject({ dialog: 'Confirm it is you', tag: 'INPUT' });
    for (let i = 0; i < 10; i++) {
      await p.keyboard.press('Tab');
      const f = await focusIn(p);
      if (f.tag !== 'BODY') expect(f.dialog).toBe('Confirm it is you');
    }
    await p.keyboard.press('Escape');
    await stepUp.waitFor({ state: 'detached' });
    await dialog.waitFor();
    await expect.poll(() => focusIn(p)).toMatchObject({ dialog: 'Sign out everywhere' });
    await p.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(s.problems.filter((x) => !x.endsWith('status of 403 (Forbidden)'))).toEqual([]);
    await s.context.close();
  });
});
