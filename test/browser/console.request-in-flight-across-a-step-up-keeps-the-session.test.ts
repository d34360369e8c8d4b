import { describe, expect, it } from 'vitest';
import type { Route } from 'playwright-core';
import { COOKIES } from '../../src/http/cookies.js';
import { codeFor, nextStep, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, openPage, useWebAppAndBrowser } from './browser.js';
import { signInToConsole, unexpected } from './mfa-steps.js';

/**
 * A step-up renews the session id, so a request that left with the cookie from before finds no
 * session (401). In the console that happens to a list or a progress poll already on its way
 * when a step-up answers. The page must carry on under the renewed session: it asks again, once,
 * and does not send the staff member to the sign-in page.
 */
describe.skipIf(!hasChromium)('console: a request in flight across a step-up', () => {
  const suite = useWebAppAndBrowser();

  it('answered 401 for the old session id, is sent again under the new one and the page shows its list', async () => {
    const { t, baseURL } = suite.web;
    const admin = await staffWithMFA(t, 'admin');
    const a = await openPage(suite.browser, baseURL);
    await signInToConsole(t, a, admin.email, admin.secret);
    const p = a.page;
    const before = (await a.context.cookies()).find((c) => c.name === COOKIES.staff)!.value;

    // Hold the staff list's first request until a step-up has renewed the session, then answer
    // it with what the server says to that request sent with the cookie it left with.
    let held: (route: Route) => void;
    const arrived = new Promise<Route>((resolve) => (held = resolve));
    let first = true;
    await p.route(
      (url) => url.pathname === '/api/v1/staff',
      (route) => {
        if (!first) return route.continue();
        first = false;
        held(route);
      },
    );
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Staff' }).click();
    const route = await arrived;

    const csrf = (await (await a.context.request.get('/api/v1/staff-auth/session')).json()).csrfToken;
    nextStep(t);
    const up = await a.context.request.post('/api/v1/staff-auth/step-up', { headers: { 'x-csrf-token': csrf }, data: { method: 'totp', code: codeFor(t, admin.secret) } });
    expect(up.status(), await up.text()).toBe(200);
    const after = (await a.context.cookies()).find((c) => c.name === COOKIES.staff)!.value;
    expect(after).not.toBe(before);

    const stale = await fetch(new URL(route.request().url()), { headers: { accept: 'application/json', cookie: `${COOKIES.staff}=${before}` } });
    const body = await stale.text();
    expect(stale.status, body).toBe(401);
    expect(JSON.parse(body).code).toBe('unauthenticated');
    await route.fulfill({ status: stale.status, headers: Object.fromEntries(stale.headers), body });

    // The page asked once more under the renewed session: the list, not the sign-in page.
    const rows = p.getByRole('table', { name: 'Staff members' }).locator('tbody tr');
    await rows.filter({ hasText: admin.email }).waitFor();
    expect(new URL(p.url()).pathname).toBe('/admin/staff');
    expect(await p.getByRole('button', { name: 'Sign in' }).count()).toBe(0);
    expect(unexpected(a.problems, [401])).toEqual([]);
  });
});
