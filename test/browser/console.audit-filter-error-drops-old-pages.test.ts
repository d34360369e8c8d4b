import { describe, expect, it } from 'vitest';
import { appendAuditEvents } from '../../src/audit/service.js';
import { staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage } from './browser.js';
import { signInToConsole } from './mfa-steps.js';

describe.skipIf(!hasChromium)('console: a failed audit filter shows its error, not the previous filter\'s pages', () => {
  const suite = useWebAppAndBrowser();

  it('after a filter the API refuses, no rows and no "Load more" of the earlier list remain; a good filter brings them back', async () => {
    const { t } = suite.web;
    // More entries than one page holds, so that the unfiltered log offers "Load more".
    await t.ctx.db.transaction().execute((trx) =>
      appendAuditEvents(t.ctx, trx, Array.from({ length: 120 }, (_, i) => ({ actor: { type: 'system' as const, id: null }, action: 'settings.general.changed' as const, reason: `Filler ${i}` }))),
    );
    const admin = await staffWithMFA(t, 'admin');
    const a = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, a, admin.email, admin.secret);
    const p = a.page;
    await p.goto('/admin/audit');
    await p.getByRole('table', { name: 'Audit entries' }).waitFor();
    await p.getByRole('button', { name: 'Load more' }).waitFor();

    await p.getByLabel('Action').fill('nonsense.action');
    await p.getByRole('button', { name: 'Filter' }).click();
    await p.getByRole('alert').waitFor();
    expect(await p.getByRole('table', { name: 'Audit entries' }).count()).toBe(0);
    expect(await p.getByRole('button', { name: 'Load more' }).count()).toBe(0);

    await p.getByRole('button', { name: 'Clear' }).click();
    await p.getByRole('table', { name: 'Audit entries' }).waitFor();
    await p.getByRole('button', { name: 'Load more' }).waitFor();
    expect(await p.getByRole('alert').count()).toBe(0);
    expect(a.problems.filter((x) => !x.endsWith('status of 400 (Bad Request)'))).toEqual([]);
    await a.context.close();
  });
});
