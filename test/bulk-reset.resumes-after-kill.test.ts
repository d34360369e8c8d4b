import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import { createTestApp, type TestApp } from './helpers/app.js';
import { staffWithMFA } from './helpers/mfa.js';
import { seedEnrolledContacts } from './helpers/seed.js';

const ROOT = resolve(import.meta.dirname, '..');
const N = 30_000;
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
});
afterAll(async () => {
  await t.close();
});

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** A real `portico serve` process on the test's database, with a 1-second job lease. */
async function serve(): Promise<ChildProcess> {
  const port = await freePort();
  return spawn(process.execPath, [join(ROOT, 'bin/portico.js'), 'serve'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...t.cliEnv(), PORT: String(port), PUBLIC_URL: `http://localhost:${port}`, PORTICO_JOB_LEASE_SECONDS: '1' },
    stdio: 'ignore',
  });
}

async function progress(id: string) {
  return t.ctx.db.selectFrom('bulk_jobs').select(['done', 'total', 'status']).where('id', '=', id).executeTakeFirstOrThrow();
}

describe('a bulk job survives kill -9', () => {
  it('resumes after SIGKILL in a new process and resets each contact exactly once', async () => {
    const ids = await seedEnrolledContacts(t.ctx, N, { codes: 2 });
    const admin = await staffWithMFA(t, 'admin');
    await admin.stepUp();
    const job = (await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { all: true }, reason: 'kill -9 drill' })).json();
    expect(job.total).toBe(N);

    const first = await serve();
    let before = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      before = Number((await progress(job.id)).done);
      if (before > 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = await progress(job.id);
    // The kill must land mid-way, or this test would prove nothing.
    expect(Number(atKill.done)).toBeGreaterThan(0);
    expect(Number(atKill.done)).toBeLessThan(N);
    expect(atKill.status).toBe('running');

    const second = await serve();
    try {
      const end = Date.now() + 120_000;
      while ((await progress(job.id)).status !== 'completed') {
        if (Date.now() > end) throw new Error(`job did not finish: ${JSON.stringify(await progress(job.id))}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      second.kill('SIGKILL');
      await new Promise((r) => second.once('exit', r));
    }
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
    expect((await admin.client.get('/api/v1/audit-events/verify')).json().ok).toBe(true);
  }, 240_000);
});
