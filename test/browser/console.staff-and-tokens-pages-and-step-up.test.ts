import { describe, expect, it } from 'vitest';
import { insertStaff } from '../../src/accounts/store.js';
import { generateID, generateToken } from '../../src/crypto/random.js';
import { hashToken } from '../../src/crypto/hash.js';
import { COOKIES } from '../../src/http/cookies.js';
import type { TestApp } from '../helpers/app.js';
import { codeFor, staffWithMFA } from '../helpers/mfa.js';
import { countRows, staffWithRole } from '../helpers/staff-session.js';
import { hasChromium, useWebAppAndBrowser, openPage, screenshot, watchDenials } from './browser.js';
import { signInToConsole, unexpected } from './mfa-steps.js';

const SIX_MINUTES = 6 * 60_000;

/** `n` API tokens of `staffID`, a second apart, written straight to the database (no emails). */
async function seedTokens(t: TestApp, staffID: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    t.clock.advance(1000);
    const now = t.clock.now();
    await t.ctx.db
      .insertInto('api_tokens')
      .values({ id: generateID('tok', now), staff_id: staffID, name: `seeded ${i}`, token_hash: hashToken(`pt_${generateToken()}`), scopes: '["contacts:read"]', created_at: now.toISOString(), expires_at: new Date(now.getTime() + 86_400_000).toISOString(), last_used_at: null, revoked_at: null })
      .execute();
  }
}

describe.skipIf(!hasChromium)('console: the staff and API-token lists come a page at a time; the token list asks for the step-up', () => {
  const suite = useWebAppAndBrowser();

  it('an admin with a stale step-up confirms it inline (or cancels and asks again), then sees the tokens, 50 and "Show more"', async () => {
    const { t } = suite.web;
    const admin = await staffWithMFA(t, 'admin');
    const a = await openPage(suite.browser, suite.web.baseURL);
    const denials = watchDenials(a);
    await signInToConsole(t, a, admin.email, admin.secret);
    const p = a.page;

    // Signed in a moment ago (that was a second step): the empty list shows at once.
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API tokens' }).click();
    await p.getByText('No API tokens yet.').waitFor();
    expect(denials).toEqual([]);

    await seedTokens(t, admin.id, 55);
    t.clock.advance(SIX_MINUTES);
    await p.reload();
    const stepUp = p.getByRole('dialog', { name: 'Confirm it is you' });
    await stepUp.waitFor();
    // The watcher reads each answer's body, so it may note the 403 just after the dialog shows.
    await expect.poll(() => denials).toEqual(['step_up_required']);
    expect(await p.getByRole('table', { name: 'API tokens' }).count()).toBe(0);
    // Cancelled: no list, but a way to ask again.
    await stepUp.getByRole('button', { name: 'Cancel' }).click();
    await p.getByText('Seeing the API tokens needs your own second step').waitFor();
    expect(await p.getByRole('table', { name: 'API tokens' }).count()).toBe(0);
    await p.getByRole('button', { name: 'Show API tokens' }).click();
    // Asked again: the list answers step_up_required again and the dialog comes back.
    await stepUp.waitFor();
    await expect.poll(() => denials).toEqual(['step_up_required', 'step_up_required']);
    await stepUp.getByLabel('Code from your authenticator app').fill(codeFor(t, admin.secret));
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    await stepUp.waitFor({ state: 'detached' });

    const rows = p.getByRole('table', { name: 'API tokens' }).locator('tbody tr');
    await rows.nth(49).waitFor();
    expect(await rows.count()).toBe(50);
    expect(await rows.first().getByRole('cell').first().textContent()).toBe('seeded 54');
    expect(await p.getByText('Seeing the API tokens needs your own second step').count()).toBe(0);
    await screenshot(p, 'admin-tokens-paged');
    await p.getByRole('button', { name: 'Show more' }).click();
    await rows.nth(54).waitFor();
    await p.getByRole('button', { name: 'Show more' }).waitFor({ state: 'detached' });
    expect(await rows.count()).toBe(55);
    expect(await rows.last().getByRole('cell').first().textContent()).toBe('seeded 0');

    // Revoking one from the second page keeps the whole list in place.
    const oldest = p.getByRole('row').filter({ hasText: 'seeded 0' });
    await oldest.getByRole('button', { name: 'Revoke seeded 0' }).click();
    await oldest.getByRole('button', { name: 'Yes, revoke' }).click();
    await oldest.getByText(/Revoked/).waitFor();
    expect(await rows.count()).toBe(55);
    expect(denials).toEqual(['step_up_required', 'step_up_required']);
    expect(unexpected(a.problems, [403])).toEqual([]);
    await a.context.close();
  });

  it('an admin pages through the staff, changes a role on the second page, and an invitation keeps the place', async () => {
    const { t } = suite.web;
    const { client: adminClient } = await staffWithRole(t, 'admin');
    for (let i = 0; i < 55; i++) {
      t.clock.advance(1000);
      const now = t.clock.now().toISOString();
      await insertStaff(t.ctx.db, { id: generateID('st', t.clock.now()), email: `paged-${i}@example.com`, name: `Paged Person ${i}`, role: 'agent', password_hash: null, active: 1, created_at: now, updated_at: now });
    }
    const a = await openPage(suite.browser, suite.web.baseURL);
    await a.context.addCookies([{ name: COOKIES.staff, value: adminClient.cookies.get(COOKIES.staff)!, url: suite.web.baseURL }]);
    const p = a.page;
    await p.goto('/admin/staff');
    const rows = p.getByRole('table', { name: 'Staff members' }).locator('tbody tr');
    await rows.nth(49).waitFor();
    expect(await rows.count()).toBe(50);
    expect(await rows.first().textContent()).toContain('Paged Person 54');
    await p.getByRole('button', { name: 'Show more' }).click();
    // 55 here, the admin, and the staff of the other test in this app: every one, once. (The
    // button reads "Loading…" while the page comes, so wait for the rows, not the button.)
    const everyone = await countRows(t, 'staff');
    await expect.poll(() => rows.count()).toBe(everyone);
    await p.getByRole('button', { name: /Show more|Loading/ }).waitFor({ state: 'detached' });
    const total = await rows.count();
    expect(total).toBe(everyone);
    expect(total).toBeGreaterThanOrEqual(56);

    await p.getByLabel('Role of Paged Person 0').selectOption('supervisor');
    await p.getByRole('button', { name: 'Yes, make supervisor' }).click();
    await p.getByRole('status').getByText('Paged Person 0 is now supervisor').waitFor();
    expect(await p.getByLabel('Role of Paged Person 0').inputValue()).toBe('supervisor');

    const invite = p.getByRole('form', { name: 'Invite a staff member' });
    await invite.getByLabel('Name').fill('Newest Person');
    await invite.getByLabel('Email').fill('newest@example.com');
    await invite.getByRole('button', { name: 'Send invitation' }).click();
    await p.getByRole('status').getByText('Invitation sent to newest@example.com').waitFor();
    await rows.first().getByRole('link', { name: 'Newest Person' }).waitFor();
    // Still every row seen before (and the newcomer), the second page's change included.
    expect(await rows.count()).toBe(total + 1);
    expect(await p.getByLabel('Role of Paged Person 0').inputValue()).toBe('supervisor');
    expect(await p.getByRole('button', { name: 'Show more' }).count()).toBe(0);
    expect(a.problems).toEqual([]);
    await a.context.close();
  });

  it('an admin with a stale step-up confirms it inline before a role change and before an invitation', async () => {
    const { t } = suite.web;
    const admin = await staffWithMFA(t, 'admin');
    const now = t.clock.now().toISOString();
    await insertStaff(t.ctx.db, { id: generateID('st', t.clock.now()), email: 'stale-step-up@example.com', name: 'Stale Stepup', role: 'agent', password_hash: null, active: 1, created_at: now, updated_at: now });
    const a = await openPage(suite.browser, suite.web.baseURL);
    const denials = watchDenials(a);
    await signInToConsole(t, a, admin.email, admin.secret);
    const p = a.page;
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Staff' }).click();
    t.clock.advance(SIX_MINUTES);
    await p.getByLabel('Role of Stale Stepup').selectOption('supervisor');
    await p.getByRole('button', { name: 'Yes, make supervisor' }).click();
    const stepUp = p.getByRole('dialog', { name: 'Confirm it is you' });
    await stepUp.waitFor();
    await stepUp.getByLabel('Code from your authenticator app').fill(codeFor(t, admin.secret));
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    await p.getByRole('status').getByText('Stale Stepup is now supervisor').waitFor();
    expect((await t.ctx.db.selectFrom('staff').select('role').where('email', '=', 'stale-step-up@example.com').executeTakeFirstOrThrow()).role).toBe('supervisor');

    // Another six minutes: the invitation asks again, and cancelling sends nothing.
    t.clock.advance(SIX_MINUTES);
    const invite = p.getByRole('form', { name: 'Invite a staff member' });
    await invite.getByLabel('Name').fill('Never Invited');
    await invite.getByLabel('Email').fill('never-invited@example.com');
    await invite.getByRole('button', { name: 'Send invitation' }).click();
    await stepUp.waitFor();
    await stepUp.getByRole('button', { name: 'Cancel' }).click();
    await stepUp.waitFor({ state: 'detached' });
    expect(await t.ctx.db.selectFrom('staff').select('id').where('email', '=', 'never-invited@example.com').execute()).toEqual([]);
    await expect.poll(() => denials).toEqual(['step_up_required', 'step_up_required']);
    expect(unexpected(a.problems, [403])).toEqual([]);
    await a.context.close();
  });
});
