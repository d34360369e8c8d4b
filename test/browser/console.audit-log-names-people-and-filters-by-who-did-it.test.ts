import { describe, expect, it } from 'vitest';
import type { Locator } from 'playwright-core';
import { signUpContact } from '../helpers/app.js';
import { enrollTOTP, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, openPage, screenshot, useWebAppAndBrowser } from './browser.js';
import { signInToConsole } from './mfa-steps.js';

/** The accessible names of the links in the audit table (what a screen reader lists). */
async function linkNames(table: Locator): Promise<string[]> {
  return (await table.getByRole('link').evaluateAll((links) => links.map((a) => (a.textContent ?? '').trim()))) as string[];
}

/**
 * The audit log is read by people: who acted and whom it concerned are named (staff members by
 * name, customers by name), with the id still there to copy; and it can be narrowed to what one
 * staff member or API token did, apart from what was done to a staff member's account.
 */
describe.skipIf(!hasChromium)('console: the audit log names people and filters by who did it', () => {
  const suite = useWebAppAndBrowser();

  it('names actors and targets, filters by one actor (id or staff email), and says what the staff filter matches', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'nina@example.com', 'Nina Named');
    await enrollTOTP(t, customer.client, 'contact', 'Phone');
    const supervisor = await staffWithMFA(t, 'supervisor');
    const admin = await staffWithMFA(t, 'admin');

    await supervisor.stepUp();
    let r = await supervisor.client.post(`/api/v1/contacts/${customer.id}/sessions/revoke`, { reason: 'Supervisor: lost laptop' });
    expect(r.statusCode, r.body).toBe(200);
    await admin.stepUp();
    r = await admin.client.post(`/api/v1/contacts/${customer.id}/remembered-devices/revoke`, { reason: 'Admin: forget the devices' });
    expect(r.statusCode, r.body).toBe(200);
    // An API token's act, and an act on a staff member's own account.
    const made = await admin.client.post('/api/v1/api-tokens', { name: 'Importer', scopes: ['contacts:write'] });
    expect(made.statusCode, made.body).toBe(201);
    const tokenId: string = made.json().id;
    r = await t.client().post('/api/v1/contacts', { email: 'tess@example.com', name: 'Tess Tokenmade', invite: false }, { authorization: `Bearer ${made.json().token}` });
    expect(r.statusCode, r.body).toBe(201);
    const tess: string = r.json().id;
    r = await admin.client.post(`/api/v1/staff/${supervisor.id}/remembered-devices/revoke`, { reason: 'Admin: on the supervisor account' });
    expect(r.statusCode, r.body).toBe(200);

    const a = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, a, admin.email, admin.secret);
    const p = a.page;
    await p.goto('/admin/audit');
    const table = p.getByRole('table', { name: 'Audit entries' });
    const row = (reason: string) => table.getByRole('row').filter({ hasText: reason });

    // Who acted, by name; whom it concerned, a link named by the customer's name; the ids stay on the row.
    const bySupervisor = row('Supervisor: lost laptop');
    await bySupervisor.getByRole('link', { name: 'Nina Named' }).waitFor();
    expect(await bySupervisor.getByRole('link', { name: 'Nina Named' }).getAttribute('href')).toBe(`/admin/contacts/${customer.id}`);
    const supervisorText = await bySupervisor.innerText();
    expect(supervisorText).toContain('Supervisor Person');
    expect(supervisorText).toContain('nina@example.com');
    expect(supervisorText).toContain(customer.id);
    expect(supervisorText).toContain(supervisor.id);
    expect(await row('Admin: forget the devices').innerText()).toMatch(/Admin Person \(you\)/);
    const onStaff = row('Admin: on the supervisor account');
    await onStaff.getByRole('link', { name: 'Supervisor Person' }).waitFor();
    expect(await onStaff.getByRole('link', { name: 'Supervisor Person' }).getAttribute('href')).toBe(`/admin/staff/${supervisor.id}`);
    const byToken = table.getByRole('row').filter({ has: p.getByRole('link', { name: 'Tess Tokenmade' }) });
    expect(await byToken.innerText()).toMatch(/API token/);
    expect(await byToken.innerText()).toContain(tokenId);
    // No link in the log is named by a bare id.
    const names = await linkNames(table);
    expect(names.length).toBeGreaterThan(3);
    expect(names.filter((n) => /^(ct|st|tok)_\S+$/.test(n))).toEqual([]);
    await screenshot(p, 'audit-names');

    // "Done by" one staff member, given by email: the URL carries their id; what was done to them is not listed.
    const who = p.getByLabel('Person or API token');
    await who.fill(supervisor.email);
    await p.getByRole('button', { name: 'Filter' }).click();
    await p.waitForURL((u) => u.searchParams.get('actorId') === supervisor.id);
    await row('Supervisor: lost laptop').waitFor();
    await p.getByText('Showing what Supervisor Person did').waitFor();
    expect(await row('Admin: forget the devices').count()).toBe(0);
    expect(await row('Admin: on the supervisor account').count()).toBe(0);
    await p.locator(`a[href="/api/v1/audit-events/export?format=csv&actorId=${supervisor.id}"]`).waitFor();

    // An API token's id: only what the token did.
    await p.getByLabel('Person or API token').fill(tokenId);
    await p.getByRole('button', { name: 'Filter' }).click();
    await p.waitForURL((u) => u.searchParams.get('actorId') === tokenId);
    await table.getByRole('link', { name: 'Tess Tokenmade' }).waitFor();
    expect(await row('Supervisor: lost laptop').count()).toBe(0);
    expect(await table.getByRole('link', { name: 'Tess Tokenmade' }).getAttribute('href')).toBe(`/admin/contacts/${tess}`);

    // An email no staff member or customer has: said at the field, and the list stays as it was.
    await p.getByLabel('Person or API token').fill('nobody@example.com');
    await p.getByRole('button', { name: 'Filter' }).click();
    await p.getByText('No staff member or customer has the email nobody@example.com').waitFor();
    expect(await p.getByLabel('Person or API token').getAttribute('aria-invalid')).toBe('true');
    expect(new URL(p.url()).searchParams.get('actorId')).toBe(tokenId);
    await screenshot(p, 'audit-actor-error');

    // The staff filter says it matches both what they did and what was done to their account.
    await p.getByRole('button', { name: 'Clear' }).click();
    await p.waitForURL((u) => u.search === '');
    const concerning = p.getByLabel('Concerning staff member');
    const hint = await concerning.evaluate((el) =>
      (el.getAttribute('aria-describedby') ?? '').split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' '),
    );
    expect(hint).toMatch(/did/);
    expect(hint).toMatch(/their account/);
    await concerning.fill(supervisor.id);
    await p.getByRole('button', { name: 'Filter' }).click();
    await p.waitForURL((u) => u.searchParams.get('staffId') === supervisor.id);
    await row('Admin: on the supervisor account').waitFor();
    await row('Supervisor: lost laptop').waitFor();
    expect(await row('Admin: forget the devices').count()).toBe(0);

    expect(a.problems).toEqual([]);
    await a.context.close();
  });

  it('a supervisor (who may not list staff) still sees customers by name, and staff by id with no bare-id link', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'omar@example.com', 'Omar Onlyname');
    const supervisor = await staffWithMFA(t, 'supervisor');
    await supervisor.stepUp();
    const r = await supervisor.client.post(`/api/v1/contacts/${customer.id}/sessions/revoke`, { reason: 'Omar asked to be signed out' });
    expect(r.statusCode, r.body).toBe(200);

    const s = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, s, supervisor.email, supervisor.secret);
    await s.page.goto('/admin/audit');
    const table = s.page.getByRole('table', { name: 'Audit entries' });
    const mine = table.getByRole('row').filter({ hasText: 'Omar asked to be signed out' });
    await mine.getByRole('link', { name: 'Omar Onlyname' }).waitFor();
    expect(await mine.innerText()).toMatch(/Supervisor Person \(you\)/);
    const names = await linkNames(table);
    expect(names.filter((n) => /^(ct|st|tok)_\S+$/.test(n))).toEqual([]);

    // A staff member's email cannot be looked up without the staff list: the field says to use the id.
    await s.page.getByLabel('Person or API token').fill('someone-staff@example.com');
    await s.page.getByRole('button', { name: 'Filter' }).click();
    await s.page.getByText(/enter the staff member's id/).waitFor();
    // A customer's email is looked up: what that customer did themselves.
    await s.page.getByLabel('Person or API token').fill(customer.email);
    await s.page.getByRole('button', { name: 'Filter' }).click();
    await s.page.waitForURL((u) => u.searchParams.get('actorId') === customer.id);
    await table.getByRole('row').filter({ hasText: 'Signed up' }).first().waitFor();
    expect(await table.getByRole('row').filter({ hasText: 'Omar asked to be signed out' }).count()).toBe(0);
    expect(s.problems).toEqual([]);
    await s.context.close();
  });
});
