import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { staffWithMFA } from '../helpers/mfa.js';
import { seedEnrolledContacts } from '../helpers/seed.js';
import { generateID } from '../../src/crypto/random.js';
import { hasChromium, openPage, useWebAppAndBrowser } from './browser.js';
import { signInToConsole } from './mfa-steps.js';

/**
 * A bulk reset is an incident tool (PRODUCT.md §4.7). Its outcome must say WHICH contacts could
 * not be reset and why (not only "1 failed"), with a link to each one's page, and when the job
 * finished; the dry run must say "how many and which": beyond its sample of 20, the full list
 * as a CSV file. The recent jobs list shows each job's failed count and pages with "Show more".
 *
 * The failure is a real one: the database refuses to delete one contact's factors (a trigger,
 * as a constraint or a corrupt row would), and the background runner, after retrying that
 * contact alone, marks it failed.
 */
describe.skipIf(!hasChromium)('console: the outcome of a bulk reset', () => {
  const suite = useWebAppAndBrowser();

  it('downloads every match before confirming, then names the contact that failed, why, and when the job finished', async () => {
    const { t } = suite.web;
    const ids = await seedEnrolledContacts(t.ctx, 25);
    const contacts = await t.ctx.db.selectFrom('contacts').select(['id', 'email', 'name']).where('id', 'in', ids).execute();
    const victim = contacts.find((c) => c.id === ids[7])!;
    if (t.ctx.dialect === 'sqlite') {
      await sql.raw(`CREATE TRIGGER refuse_in_browser BEFORE DELETE ON mfa_factors WHEN old.owner_id = '${victim.id}' BEGIN SELECT RAISE(ABORT, 'injected failure for this contact'); END`).execute(t.ctx.db);
    } else {
      await sql.raw(`CREATE FUNCTION refuse_in_browser() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure for this contact'; END $$`).execute(t.ctx.db);
      await sql.raw(`CREATE TRIGGER refuse_in_browser BEFORE DELETE ON mfa_factors FOR EACH ROW WHEN (old.owner_id = '${victim.id}') EXECUTE FUNCTION refuse_in_browser()`).execute(t.ctx.db);
    }
    const admin = await staffWithMFA(t, 'admin');
    const a = await openPage(suite.browser, suite.web.baseURL);
    const p = a.page;
    await signInToConsole(t, a, admin.email, admin.secret);
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Bulk reset' }).click();
    await p.getByLabel('Email addresses (paste a list)').fill(contacts.map((c) => c.email).join('\n'));
    await p.getByRole('button', { name: 'Preview' }).click();
    const preview = p.getByRole('region', { name: 'Preview' });
    await preview.getByRole('heading', { name: '25 customers will be reset' }).waitFor();
    await preview.getByText('A sample: 20 of the 25 customers.').waitFor();

    // The full list, before confirming: every one of the 25, not only the sample's 20.
    const [download] = await Promise.all([p.waitForEvent('download'), preview.getByRole('button', { name: 'Download the full list (CSV)' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^bulk-reset-customers-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8');
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('email,contactId');
    expect(new Set(lines.slice(1).filter(Boolean))).toEqual(new Set(contacts.map((c) => `${c.email},${c.id}`)));

    const start = p.getByRole('form', { name: 'Start the bulk reset' });
    await start.getByLabel('Reason').fill('Incident 77: authenticator seeds may have leaked');
    await start.getByLabel('Type 25 to confirm').fill('25');
    await start.getByRole('button', { name: 'Reset 25 customers' }).click();
    await p.getByRole('heading', { name: 'Bulk reset completed' }).waitFor({ timeout: 30_000 });
    const progress = p.getByRole('region', { name: /^Bulk reset job_/ });
    await progress.getByText('25 of 25 contacts processed (100 %) — 24 reset, 1 failed').waitFor();
    // When it finished.
    await progress.getByText(/^Started .+\. Finished .+\.$/).waitFor();

    // Which contact, and why, in words: a link to their page.
    const failures = progress.getByRole('table', { name: 'Contacts that could not be reset' });
    await failures.waitFor();
    const rows = failures.getByRole('row');
    expect(await rows.count()).toBe(2);
    const row = rows.nth(1);
    const link = row.getByRole('link', { name: victim.email });
    expect(await link.getAttribute('href')).toBe(`/admin/contacts/${victim.id}`);
    expect(await row.innerText()).toMatch(/The database refused this contact's reset on all 3 tries; their two-step verification was left as it was\./);
    // The database's own text is not shown.
    expect(await progress.innerText()).not.toMatch(/injected|mfa_factors|SQLITE/i);
    await link.click();
    await p.getByRole('heading', { name: victim.name }).waitFor();
    expect(new URL(p.url()).pathname).toBe(`/admin/contacts/${victim.id}`);

    // The recent jobs list counts the failed contacts.
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Bulk reset' }).click();
    await p.getByRole('region', { name: 'Recent bulk resets' }).getByRole('button', { name: /completed, 24 of 25 reset, 1 failed/ }).waitFor();
    expect(a.problems).toEqual([]);
    await a.context.close();
  });

  it('the recent jobs list shows more on request; a failed job says so and when it stopped', async () => {
    const { t } = suite.web;
    const start = t.clock.now().getTime() - 60 * 86_400_000;
    // 55 older jobs, a day apart: more than the list's first page of 50.
    const rows = Array.from({ length: 55 }, (_, i) => {
      const at = new Date(start + i * 86_400_000);
      const iso = at.toISOString();
      return { id: generateID('job', at), status: (i === 0 ? 'failed' : 'completed') as 'failed' | 'completed', filter: JSON.stringify({ all: true }), reason: `Drill ${i}`, require_enrollment: 1, actor_type: 'cli' as const, actor_id: null, total: 3, done: i === 0 ? 1 : 3, failed: i === 0 ? 2 : 0, unknown_emails: '[]', created_at: iso, started_at: iso, finished_at: iso, lease_owner: null, lease_until: null };
    });
    await t.ctx.db.insertInto('bulk_jobs').values(rows).execute();
    // The failed job's items as bulk.ts writes them: one reset, two failed (one contact deleted
    // before the job reached it, as resetBatch records it; one whose reset the database refused).
    const [kept] = await seedEnrolledContacts(t.ctx, 1);
    const keptEmail = (await t.ctx.db.selectFrom('contacts').select('email').where('id', '=', kept).executeTakeFirstOrThrow()).email;
    const gone = generateID('ct');
    const doneID = generateID('ct');
    const at = rows[0].finished_at;
    await t.ctx.db
      .insertInto('bulk_job_items')
      .values([
        { job_id: rows[0].id, contact_id: doneID, status: 'done', error: null, finished_at: at },
        { job_id: rows[0].id, contact_id: gone, status: 'failed', error: 'contact no longer exists', finished_at: at },
        { job_id: rows[0].id, contact_id: kept, status: 'failed', error: 'SQLITE_CONSTRAINT: FOREIGN KEY constraint failed', finished_at: at },
      ])
      .execute();
    const admin = await staffWithMFA(t, 'admin');
    const a = await openPage(suite.browser, suite.web.baseURL);
    const p = a.page;
    await signInToConsole(t, a, admin.email, admin.secret);
    await p.goto('/admin/bulk-reset');
    const recent = p.getByRole('region', { name: 'Recent bulk resets' });
    await recent.getByText('— Drill 54').waitFor();
    const items = recent.getByRole('listitem');
    expect(await items.count()).toBe(50);
    expect(await recent.getByText('— Drill 0').count()).toBe(0);
    await recent.getByRole('button', { name: 'Show more bulk resets' }).click();
    await recent.getByText('— Drill 0').waitFor();
    expect(await items.count()).toBeGreaterThanOrEqual(56);
    await recent.getByRole('button', { name: /failed, 1 of 3 reset, 2 failed/ }).click();
    const progress = p.getByRole('region', { name: `Bulk reset ${rows[0].id}` });
    await progress.getByRole('heading', { name: 'Bulk reset failed' }).waitFor();
    await progress.getByText(/No reason was stored with the job/).waitFor();
    await progress.getByText(/Stopped .+\.$/).waitFor();
    const failures = progress.getByRole('table', { name: 'Contacts that could not be reset' });
    await failures.getByRole('row', { name: new RegExp(`A deleted contact \\(${gone}\\) The contact was deleted before the job reached them`) }).waitFor();
    const refused = failures.getByRole('row', { name: new RegExp(keptEmail.replace(/[.+]/g, '\\$&')) });
    expect(await refused.getByRole('link', { name: keptEmail }).getAttribute('href')).toBe(`/admin/contacts/${kept}`);
    expect(await refused.innerText()).toContain("The database refused this contact's reset on all 3 tries");
    expect(await progress.innerText()).not.toMatch(/SQLITE|FOREIGN KEY|running/i);
    expect(a.problems).toEqual([]);
    await a.context.close();
  });
});
