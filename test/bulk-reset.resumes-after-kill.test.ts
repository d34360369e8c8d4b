import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { sql } from 'kysely';
import { createTestApp, type TestApp } from './helpers/app.js';
import { freePort, servePortico, type ServeProcess } from './helpers/cli.js';
import { staffWithMFA } from './helpers/mfa.js';
import { seedEnrolledContacts } from './helpers/seed.js';

const N = 30_000;
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
});
afterAll(async () => {
  await t.close();
});

/** A real `portico serve` process on the test's database, with a 1-second job lease. */
async function serve(): Promise<ServeProcess> {
  const port = await freePort();
  return servePortico({ ...t.cliEnv(), PORT: String(port), PUBLIC_URL: `http://localhost:${port}`, PORTICO_JOB_LEASE_SECONDS: '1' });
}

/** Fails at once, with what the server printed, when it died by itself. */
function expectAlive(server: ServeProcess, which: string) {
  if (server.hasExited()) throw new Error(`the ${which} server exited by itself; it printed:\n${server.output()}`);
}

async function progress(id: string) {
  return t.ctx.db.selectFrom('bulk_jobs').select(['done', 'total', 'status']).where('id', '=', id).executeTakeFirstOrThrow();
}

describe('a bulk job survives kill -9', () => {
  it('resumes after SIGKILL in a new process and resets each contact exactly once', async () => {
    // When this fails (a timeout included), say how far it got and what the servers printed.
    const start = Date.now();
    const phases: string[] = [];
    const mark = (what: string) => phases.push(`${((Date.now() - start) / 1000).toFixed(1)} s  ${what}`);
    const servers: Array<[string, ServeProcess]> = [];
    onTestFailed(() => {
      mark('failed');
      const printed = servers.map(([which, s]) => `--- the ${which} server ${s.hasExited() ? 'exited' : 'was running'}; it printed:\n${s.output()}`);
      console.error(['bulk-reset.resumes-after-kill, how far it got:', ...phases, ...printed].join('\n'));
    });

    const ids = await seedEnrolledContacts(t.ctx, N, { codes: 2 });
    mark('contacts seeded');
    const admin = await staffWithMFA(t, 'admin');
    await admin.stepUp();
    const job = (await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { all: true }, reason: 'kill -9 drill' })).json();
    expect(job.total).toBe(N);
    mark('job created');

    const first = await serve();
    servers.push(['first', first]);
    let before = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      expectAlive(first, 'first');
      before = Number((await progress(job.id)).done);
      if (before > 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    mark(`first server made progress (${before} done)`);
    expectAlive(first, 'first');
    await first.kill9();
    const atKill = await progress(job.id);
    mark(`first server killed at ${atKill.done} done`);
    // The kill must land mid-way, or this test would prove nothing.
    expect(Number(atKill.done)).toBeGreaterThan(0);
    expect(Number(atKill.done)).toBeLessThan(N);
    expect(atKill.status).toBe('running');

    const second = await serve();
    servers.push(['second', second]);
    try {
      const end = Date.now() + 120_000;
      while ((await progress(job.id)).status !== 'completed') {
        expectAlive(second, 'second');
        if (Date.now() > end) throw new Error(`job did not finish: ${JSON.stringify(await progress(job.id))}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await second.kill9();
    }
    mark('second server finished the job');
    expect(Number((await progress(job.id)).done)).toBe(N);
    const perContact = await t.ctx.db
      .selectFrom('audit_events')
      .select(['contact_id', sql<number>`count(*)`.as('n')])
      .where('action', '=', 'mfa.reset')
      .groupBy('contact_id')
      .execute();
    const counts = new Map(perContact.map((r) => [r.contact_id, Number(r.n)]));
    expect(ids.filter((id) => counts.get(id) !== 1)).toEqual([]);
    expect(Number((await t.ctx.db.selectFrom('mfa_factors').select((eb) => eb.fn.countAll<number>().as('n')).where('owner_id', 'in', ids.slice(0, 500)).executeTakeFirstOrThrow()).n)).toBe(0);
    const emails = await t.ctx.db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('subject', '=', 'Your two-step verification was reset').executeTakeFirstOrThrow();
    expect(Number(emails.n)).toBe(N);
    mark('results checked');
    expect((await admin.client.get('/api/v1/audit-events/verify')).json().ok).toBe(true);
  }, 240_000);
});
