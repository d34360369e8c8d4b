import { describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { COOKIES } from '../../src/http/cookies.js';
import { signUpContact } from '../helpers/app.js';
import { staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage, screenshot } from './browser.js';
import { signInToConsole, signInWithPassword } from './mfa-steps.js';

/** The value of the browser's session cookie `name`. */
async function cookie(context: BrowserContext, name: string): Promise<string> {
  const found = (await context.cookies()).find((c) => c.name === name);
  expect(found, `cookie ${name}`).toBeDefined();
  return found!.value;
}

/** What the server says of a session cookie now, asked without the browser (so without its cleared cookie jar). */
async function stateOf(baseURL: string, path: string, name: string, value: string): Promise<string> {
  const r = await fetch(`${baseURL}${path}`, { headers: { cookie: `${name}=${value}` } });
  return ((await r.json()) as { state: string }).state;
}

describe.skipIf(!hasChromium)('pages: signed in, the header has Sign out, and it ends the session', () => {
  const suite = useWebAppAndBrowser();

  it('in the console: Sign out in the header lands on the sign-in page and the session is gone on the server', async () => {
    const { t } = suite.web;
    const admin = await staffWithMFA(t, 'admin');
    const a = await openPage(suite.browser, suite.web.baseURL);
    const p = a.page;
    await p.goto('/admin/sign-in');
    // Once the page has asked who is signed in (its heading shows), the header has no Sign out.
    await p.getByRole('heading', { name: 'Sign in to the Portico console' }).waitFor();
    expect(await p.getByRole('banner').getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    await signInToConsole(t, a, admin.email, admin.secret);
    const session = await cookie(a.context, COOKIES.staff);
    expect(await stateOf(suite.web.baseURL, '/api/v1/staff-auth/session', COOKIES.staff, session)).toBe('authenticated');
    await screenshot(p, 'admin-header-sign-out');

    await p.getByRole('banner').getByRole('button', { name: 'Sign out', exact: true }).click();
    await p.waitForURL((u) => u.pathname === '/admin/sign-in');
    await p.getByRole('heading', { name: 'Sign in to the Portico console' }).waitFor();
    expect(await p.getByRole('banner').getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expect(await stateOf(suite.web.baseURL, '/api/v1/staff-auth/session', COOKIES.staff, session)).toBe('anonymous');
    await p.goto('/admin/tickets');
    await p.getByRole('heading', { name: 'Sign in to the Portico console' }).waitFor();
    expect(a.problems).toEqual([]);
    await a.context.close();
  });

  it('in the help center: Sign out in the header lands on the sign-in page and the session is gone on the server', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'hedda-header@example.com', 'Hedda Header');
    const c = await openPage(suite.browser, suite.web.baseURL);
    const p = c.page;
    await p.goto('/sign-in');
    // Once the page knows nobody is signed in (the header offers Sign in), it has no Sign out.
    await p.getByRole('banner').getByRole('link', { name: 'Sign in' }).waitFor();
    expect(await p.getByRole('banner').getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    await signInWithPassword(p, customer.email);
    await p.getByRole('heading', { name: 'My tickets' }).waitFor();
    const session = await cookie(c.context, COOKIES.contact);
    expect(await stateOf(suite.web.baseURL, '/api/v1/auth/session', COOKIES.contact, session)).toBe('authenticated');
    await screenshot(p, 'help-center-header-sign-out');
    // Sign out sits just after the navigation, at the right, not half-way across the bar.
    const nav = (await p.getByRole('navigation', { name: 'Main' }).boundingBox())!;
    const out = (await p.getByRole('banner').getByRole('button', { name: 'Sign out', exact: true }).boundingBox())!;
    const gap = out.x - (nav.x + nav.width);
    expect(gap).toBeGreaterThanOrEqual(0);
    expect(gap).toBeLessThan(48);

    await p.getByRole('banner').getByRole('button', { name: 'Sign out', exact: true }).click();
    await p.waitForURL((u) => u.pathname === '/sign-in');
    await p.getByRole('heading', { name: 'Sign in to the Help Center' }).waitFor();
    expect(await p.getByRole('banner').getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    await p.getByRole('banner').getByRole('link', { name: 'Sign in' }).waitFor();
    expect(await stateOf(suite.web.baseURL, '/api/v1/auth/session', COOKIES.contact, session)).toBe('anonymous');
    await p.goto('/tickets');
    await p.getByRole('heading', { name: 'Sign in to the Help Center' }).waitFor();
    expect(c.problems).toEqual([]);
    await c.context.close();
  });
});
