import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestApp, type TestApp } from './helpers/app.js';
import { staffWithMFA } from './helpers/mfa.js';
import { seedEnrolledContacts } from './helpers/seed.js';
import { runPortico } from './helpers/cli.js';

// README: PORTICO_JOB_LEASE_SECONDS (default 30) is how long a crashed instance holds a bulk job
// before another resumes it. It was read from process.env as the bulk runner's module loaded:
// never checked (`abc` silently meant 30), and a value in `.env` (read later, at start) never
// counted. It is now part of the validated configuration, and the runner takes it from there.

let t: TestApp | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await t?.close();
  t = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('PORTICO_JOB_LEASE_SECONDS', () => {
  it("is the lease the runtime's bulk runner takes when it claims a job and renews it with each batch", async () => {
    t = await createTestApp({ runJobs: false, env: { PORTICO_JOB_LEASE_SECONDS: '7' } });
    expect(t.config.jobLeaseSeconds).toBe(7);
    const admin = await staffWithMFA(t, 'admin');
    const contacts = await seedEnrolledContacts(t.ctx, 2);
    const emails = (await t.ctx.db.selectFrom('contacts').select('email').where('id', 'in', contacts).execute()).map((r) => r.email);
    await admin.stepUp();
    const created = await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { emails }, reason: 'lease check' });
    expect(created.statusCode, created.body).toBe(202);
    const jobID: string = created.json().id;
    const lease = async () => t!.ctx.db.selectFrom('bulk_jobs').select(['lease_owner', 'lease_until', 'status']).where('id', '=', jobID).executeTakeFirstOrThrow();

    // Halted before it starts, the runner claims the job and stops there, the lease held.
    const runner = t.runtime.runner;
    await runner.stop();
    expect(await runner.runOnce()).toBe(true);
    expect(await lease()).toEqual({ lease_owner: runner.instanceID, status: 'running', lease_until: new Date(t.clock.now().getTime() + 7_000).toISOString() });

    t.clock.advance(3_000);
    expect(await runner.runBatch(jobID, 1)).toBe(true);
    expect((await lease()).lease_until).toBe(new Date(t.clock.now().getTime() + 7_000).toISOString());
  });

  it('is checked when set only in `.env`: a bad value stops the start with one clear line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-lease-'));
    dirs.push(dir);
    writeFileSync(join(dir, '.env'), 'PORTICO_JOB_LEASE_SECONDS=abc\n');
    const env = { PORTICO_DATA_DIR: join(dir, 'data'), DATABASE_URL: `sqlite:${join(dir, 'data', 'portico.db')}`, PORTICO_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), LOG_LEVEL: 'silent' };
    const bad = await runPortico(['migrate'], env, '', dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toEqual(['portico: configuration: PORTICO_JOB_LEASE_SECONDS: must be a whole number from 1 to 3600']);
    writeFileSync(join(dir, '.env'), 'PORTICO_JOB_LEASE_SECONDS=45\n');
    const good = await runPortico(['migrate'], env, '', dir);
    expect(good.code, good.stderr).toBe(0);
  });
});
