import { describe, expect, it } from 'vitest';
import { signUpContact } from '../helpers/app.js';
import { staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, openPage, useWebAppAndBrowser } from './browser.js';
import { signInToConsole } from './mfa-steps.js';

/**
 * The contact page's recent security events are read by an agent on a call: who did what, and
 * how the caller was checked, in words ("by you", "by the customer", "called back"), not the
 * API's values ("by staff", "callback").
 */
describe.skipIf(!hasChromium)('console: recent security events in words', () => {
  const suite = useWebAppAndBrowser();

  it('names the actor and the identity check in words', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t);
    const supervisor = await staffWithMFA(t, 'supervisor');
    await supervisor.stepUp();
    const r = await supervisor.client.post(`/api/v1/contacts/${customer.id}/sessions/revoke`, {
      reason: 'Customer reported a lost laptop',
      verification: { method: 'callback', note: 'Called the number on file' },
    });
    expect(r.statusCode, r.body).toBe(200);

    const s = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, s, supervisor.email, supervisor.secret);
    await s.page.goto(`/admin/contacts/${customer.id}`);
    const events = s.page.getByRole('list', { name: 'Recent security events' });
    const revoked = events.getByRole('listitem').filter({ hasText: 'reason: Customer reported a lost laptop' });
    await revoked.waitFor();
    const text = await revoked.innerText();
    expect(text).toContain(', by you;');
    expect(text).toContain('identity check: called back');
    expect(text).not.toMatch(/, by staff|: callback/);
    const signedUp = events.getByRole('listitem').filter({ hasText: ', by the customer' });
    expect(await signedUp.count()).toBeGreaterThan(0);
    expect(await events.innerText()).not.toMatch(/, by (contact|staff|system)\b/);
    expect(s.problems).toEqual([]);
  });
});
