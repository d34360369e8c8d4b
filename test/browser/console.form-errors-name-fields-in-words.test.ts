import { describe, expect, it } from 'vitest';
import { staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage } from './browser.js';
import { signInToConsole } from './mfa-steps.js';

describe.skipIf(!hasChromium)('console: form errors are readable, without the API\'s field paths', () => {
  const suite = useWebAppAndBrowser();

  it('the MFA settings and the audit filter name the fields in words; the bulk reset Preview waits for a filter', async () => {
    const { t } = suite.web;
    const admin = await staffWithMFA(t, 'admin');
    const a = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, a, admin.email, admin.secret);
    const p = a.page;

    await p.goto('/admin/settings');
    const settings = p.getByRole('form', { name: 'MFA settings' });
    await settings.getByLabel('Remember a browser for (days, 0 turns it off)').fill('500');
    await settings.getByLabel('Reason for the change').fill('Longer');
    await settings.getByRole('button', { name: 'Save MFA settings' }).click();
    const settingsError = settings.getByRole('alert');
    await settingsError.getByText(/Remember a browser for/).waitFor();
    expect(await settingsError.innerText()).not.toMatch(/rememberDeviceDays|body\./);
    expect(await settingsError.innerText()).toMatch(/at most 90/);
    // The number the API refused is marked on its own input, and says why there.
    const days = settings.getByLabel('Remember a browser for (days, 0 turns it off)');
    expect(await days.getAttribute('aria-invalid')).toBe('true');
    const description = await days.evaluate((el) =>
      (el.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean).map((id) => document.getElementById(id)?.textContent ?? '').join(' '),
    );
    expect(description).toMatch(/^Must be at most 90/);
    expect(await settings.getByLabel(/^Waiting period before resets/).getAttribute('aria-invalid')).toBeNull();

    await p.goto('/admin/audit');
    await p.getByLabel('Action').fill('nonsense.action');
    await p.getByRole('button', { name: 'Filter' }).click();
    const auditError = p.getByRole('alert');
    await auditError.getByText(/^Action: must be an audit action name/).waitFor();
    expect(await auditError.innerText()).not.toMatch(/querystring\./);

    await p.goto('/admin/bulk-reset');
    const form = p.getByRole('form', { name: 'Choose contacts' });
    const previewButton = form.getByRole('button', { name: 'Preview' });
    await previewButton.waitFor();
    expect(await previewButton.isDisabled()).toBe(true);
    await form.getByText('Choose at least one filter to preview.').waitFor();
    await form.getByLabel('Authenticator app').check();
    expect(await previewButton.isDisabled()).toBe(false);
    expect(a.problems.filter((x) => !x.endsWith('status of 400 (Bad Request)'))).toEqual([]);
    await a.context.close();
  });
});
