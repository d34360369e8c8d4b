import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { insertStaff } from '../../src/accounts/store.js';
import { generateID } from '../../src/crypto/random.js';
import { signUpContact, type TestApp } from '../helpers/app.js';
import { enrollTOTP, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage, screenshot } from './browser.js';
import { signInToConsole } from './mfa-steps.js';

/** The element with the keyboard focus: its text (or aria-label) and the text of its description. */
function focused(p: Page): Promise<{ tag: string; text: string; description: string }> {
  return p.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    const ids = (el?.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
    return {
      tag: el?.tagName ?? '',
      text: (el?.getAttribute('aria-label') || el?.textContent || '').trim(),
      description: ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' ').trim(),
    };
  });
}

/** The accessible names of the buttons under `scope`, as the browser computes them for assistive technology. */
async function buttonNames(scope: Locator): Promise<string[]> {
  const tree = await scope.ariaSnapshot();
  return [...tree.matchAll(/- button "((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
}

async function roleInDatabase(t: TestApp, email: string): Promise<string> {
  return (await t.ctx.db.selectFrom('staff').select('role').where('email', '=', email).executeTakeFirstOrThrow()).role;
}

async function addAgent(t: TestApp, name: string, email: string): Promise<void> {
  const now = t.clock.now().toISOString();
  await insertStaff(t.ctx.db, { id: generateID('st', t.clock.now()), email, name, role: 'agent', password_hash: null, active: 1, created_at: now, updated_at: now });
}

describe.skipIf(!hasChromium)('console: two-step confirmations keep the keyboard focus and name what they change', () => {
  const suite = useWebAppAndBrowser();

  it('"Deactivate…" moves the focus to "Yes, …" (described by the question), Cancel and Escape bring it back, and after the change it is on the button again', async () => {
    const { t } = suite.web;
    await addAgent(t, 'Fran Focus', 'fran-focus@example.com');
    const admin = await staffWithMFA(t, 'admin');
    const a = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, a, admin.email, admin.secret);
    const p = a.page;
    await p.goto('/admin/staff');
    const row = p.getByRole('row').filter({ hasText: 'fran-focus@example.com' });
    const deactivate = row.getByRole('button', { name: 'Deactivate Fran Focus' });

    // From the keyboard: Enter asks, and the focus is on the answer that does it.
    await deactivate.focus();
    await p.keyboard.press('Enter');
    await row.getByRole('group', { name: 'Confirm: Deactivate Fran Focus' }).waitFor();
    await expect.poll(() => focused(p)).toEqual({ tag: 'BUTTON', text: 'Yes, deactivate', description: 'Fran Focus will be signed out everywhere and their API tokens revoked.' });
    await screenshot(p, 'admin-staff-confirm-deactivate');

    // Cancel: nothing changed, and the focus is back on the button that asked.
    await p.keyboard.press('Tab');
    expect((await focused(p)).text).toBe('Cancel');
    await p.keyboard.press('Enter');
    await expect.poll(() => focused(p)).toMatchObject({ tag: 'BUTTON', text: 'Deactivate Fran Focus' });

    // Escape says no as well.
    await p.keyboard.press('Enter');
    await expect.poll(() => focused(p)).toMatchObject({ text: 'Yes, deactivate' });
    await p.keyboard.press('Escape');
    await expect.poll(() => focused(p)).toMatchObject({ tag: 'BUTTON', text: 'Deactivate Fran Focus' });
    expect(await row.getByRole('group', { name: 'Confirm: Deactivate Fran Focus' }).count()).toBe(0);
    expect(await t.ctx.db.selectFrom('staff').select('active').where('email', '=', 'fran-focus@example.com').executeTakeFirstOrThrow()).toEqual({ active: 1 });

    // Yes: the change is made, and the focus lands on the button left in its place.
    await p.keyboard.press('Enter');
    await expect.poll(() => focused(p)).toMatchObject({ text: 'Yes, deactivate' });
    await p.keyboard.press('Enter');
    await row.getByText('Deactivated').waitFor();
    await expect.poll(() => focused(p)).toMatchObject({ tag: 'BUTTON', text: 'Reactivate Fran Focus' });
    expect(await t.ctx.db.selectFrom('staff').select('active').where('email', '=', 'fran-focus@example.com').executeTakeFirstOrThrow()).toEqual({ active: 0 });
    expect(a.problems).toEqual([]);
    await a.context.close();
  });

  it('a role change says what the new role allows and waits: Cancel keeps the old role, "Yes, make …" saves the new one', async () => {
    const { t } = suite.web;
    await addAgent(t, 'Sam Lee', 'sam-lee@example.com');
    const admin = await staffWithMFA(t, 'admin');
    const a = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, a, admin.email, admin.secret);
    const p = a.page;
    await p.goto('/admin/staff');
    const row = p.getByRole('row').filter({ hasText: 'sam-lee@example.com' });
    const role = row.getByLabel('Role of Sam Lee', { exact: true });
    const confirm = row.getByRole('group', { name: 'Confirm: change the role of Sam Lee' });
    const saves: string[] = [];
    p.on('request', (r) => {
      if (r.method() === 'PATCH' && r.url().includes('/api/v1/staff/')) saves.push(r.url());
    });

    // Picking a role only asks, saying from what to what and what the person will be able to do.
    await role.selectOption('admin');
    await confirm.getByText("Change Sam Lee's role from Agent to Admin?").waitFor();
    await confirm.getByText('They will be able to do everything').waitFor();
    const yes = confirm.getByRole('button', { name: 'Yes, make admin' });
    expect(await yes.evaluate((b) => document.getElementById(b.getAttribute('aria-describedby') ?? '')?.textContent ?? '')).toMatch(/^Change Sam Lee's role from Agent to Admin\?/);
    await screenshot(p, 'admin-staff-confirm-role');
    expect(saves).toEqual([]);
    expect(await roleInDatabase(t, 'sam-lee@example.com')).toBe('agent');

    // Cancel: the select shows the saved role again and holds the focus; nothing was sent.
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect(await role.inputValue()).toBe('agent');
    await expect.poll(() => focused(p)).toMatchObject({ tag: 'SELECT', text: 'Role of Sam Lee' });
    expect(saves).toEqual([]);
    expect(await roleInDatabase(t, 'sam-lee@example.com')).toBe('agent');
    await p.reload();
    expect(await role.inputValue()).toBe('agent');

    // Escape on the select itself (where the focus stays) takes the choice back as well; while
    // the question shows, the select is described by it.
    await role.selectOption('admin');
    await confirm.waitFor();
    expect(await role.evaluate((el) => document.getElementById(el.getAttribute('aria-describedby') ?? '')?.textContent ?? '')).toMatch(/^Change Sam Lee's role from Agent to Admin\?/);
    await role.focus();
    await p.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    expect(await role.inputValue()).toBe('agent');
    expect(await role.getAttribute('aria-describedby')).toBeNull();
    expect(saves).toEqual([]);

    // Yes: saved, said, and the focus goes back to the select.
    await role.selectOption('supervisor');
    await confirm.getByText("Change Sam Lee's role from Agent to Supervisor?").waitFor();
    await confirm.getByRole('button', { name: 'Yes, make supervisor' }).click();
    await p.getByRole('status').getByText('Sam Lee is now supervisor').waitFor();
    await confirm.waitFor({ state: 'detached' });
    expect(await role.inputValue()).toBe('supervisor');
    await expect.poll(() => focused(p)).toMatchObject({ tag: 'SELECT', text: 'Role of Sam Lee' });
    expect(saves).toHaveLength(1);
    expect(await roleInDatabase(t, 'sam-lee@example.com')).toBe('supervisor');
    await p.reload();
    expect(await role.inputValue()).toBe('supervisor');
    expect(a.problems).toEqual([]);
    await a.context.close();
  });

  it('each "Cancel…" of the scheduled changes has its own name: the change, when it takes effect, and (on the Scheduled page) the customer', async () => {
    const { t } = suite.web;
    const admin = await staffWithMFA(t, 'admin');
    await admin.stepUp();
    expect((await admin.client.put('/api/v1/settings/mfa', { policy: 'optional', rememberDeviceDays: 30, waitingPeriodHours: 24, requireEmailVerification: false, reason: 'Waiting period on' })).statusCode).toBe(200);
    const ann = await signUpContact(t, 'ann-named@example.com', 'Ann Named');
    const ben = await signUpContact(t, 'ben-named@example.com', 'Ben Named');
    await enrollTOTP(t, ann.client, 'contact', 'Phone');
    await enrollTOTP(t, ben.client, 'contact', 'Phone');
    const sup = await staffWithMFA(t, 'supervisor');
    await sup.stepUp();
    // The same change for two customers at the same moment, and a second change for Ann.
    for (const c of [ann, ben]) {
      const r = await sup.client.post(`/api/v1/contacts/${c.id}/mfa/reset`, { reason: 'Caller lost the phone' });
      expect(r.statusCode, r.body).toBe(202);
    }
    const code = await sup.client.post(`/api/v1/contacts/${ann.id}/mfa/temporary-codes`, { reason: 'Caller asks for a code' });
    expect(code.statusCode, code.body).toBe(202);

    const s = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, s, sup.email, sup.secret);
    const p = s.page;

    // On the customer's Security panel: one per change, each naming it and when it takes effect.
    await p.goto(`/admin/contacts/${ann.id}`);
    const region = p.getByRole('region', { name: 'Scheduled changes' });
    await region.getByRole('listitem').nth(1).waitFor();
    const onPanel = (await buttonNames(region)).filter((n) => n.startsWith('Cancel'));
    expect(onPanel).toHaveLength(2);
    expect(new Set(onPanel).size).toBe(2);
    expect(onPanel.some((n) => /^Cancel Reset MFA — Takes effect \S/.test(n))).toBe(true);
    expect(onPanel.some((n) => /^Cancel Temporary access code becomes usable — Takes effect \S/.test(n))).toBe(true);
    // The visible text stays short.
    expect(await region.getByRole('button', { name: /^Cancel Reset MFA/ }).innerText()).toBe('Cancel…');

    // On the Scheduled page the two resets differ only by the customer: the names say whose.
    await p.goto('/admin/pending-actions');
    const list = p.getByRole('list', { name: 'Scheduled changes' });
    await list.getByRole('link', { name: /Ben Named/ }).waitFor();
    await list.getByRole('link', { name: /Ann Named/ }).first().waitFor();
    const onPage = (await buttonNames(list)).filter((n) => n.startsWith('Cancel'));
    expect(onPage).toHaveLength(3);
    expect(new Set(onPage).size).toBe(3);
    expect(await list.getByRole('button', { name: /^Cancel Reset MFA — Takes effect .*Ann Named <ann-named@example\.com>$/ }).count()).toBe(1);
    expect(await list.getByRole('button', { name: /^Cancel Reset MFA — Takes effect .*Ben Named <ben-named@example\.com>$/ }).count()).toBe(1);

    // The named button is the one that cancels that change (Ben's reset; Ann's stays). Opening it
    // puts the focus on the reason; "Keep it" and Escape put it back on the button.
    const bens = list.getByRole('listitem').filter({ hasText: 'Ben Named' });
    const bensCancel = list.getByRole('button', { name: /^Cancel Reset MFA .*Ben Named/ });
    await bensCancel.click();
    await expect.poll(() => focused(p)).toMatchObject({ tag: 'INPUT' });
    await bens.getByRole('button', { name: 'Keep it' }).click();
    await expect.poll(() => focused(p)).toMatchObject({ tag: 'BUTTON', text: 'Cancel…' });
    expect(await bensCancel.evaluate((el) => el === document.activeElement)).toBe(true);
    await bensCancel.click();
    await expect.poll(() => focused(p)).toMatchObject({ tag: 'INPUT' });
    await p.keyboard.press('Escape');
    await expect.poll(() => bensCancel.evaluate((el) => el === document.activeElement)).toBe(true);
    await bensCancel.click();
    await bens.getByLabel('Reason for cancelling').fill('Ben called back: all fine');
    await bens.getByRole('button', { name: 'Cancel this change' }).click();
    await bens.waitFor({ state: 'detached' });
    const left = await t.ctx.db.selectFrom('pending_actions').select(['owner_id', 'kind', 'status']).where('status', '=', 'pending').orderBy('kind').execute();
    expect(left).toEqual([
      { owner_id: ann.id, kind: 'reset', status: 'pending' },
      { owner_id: ann.id, kind: 'temporary_code', status: 'pending' },
    ]);
    expect(s.problems).toEqual([]);
    await t.ctx.db.deleteFrom('pending_actions').execute();
    await t.ctx.db.deleteFrom('settings').execute();
    await s.context.close();
  });
});
