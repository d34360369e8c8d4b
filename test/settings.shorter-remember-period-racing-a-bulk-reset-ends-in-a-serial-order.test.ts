import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../src/clock.js';
import { generateID } from '../src/crypto/random.js';
import { BulkRunner } from '../src/recovery/bulk.js';
import type { TestApp } from './helpers/app.js';
import type { StaffWithMFA } from './helpers/mfa.js';
import { useRacingApp } from './helpers/racing-app.js';
import { seedEnrolledContacts } from './helpers/seed.js';

/**
 * PRODUCT.md §7: an admin shortening the remembered-device period while a bulk reset batch runs
 * ends in a serial order. The settings change shortens (or revokes) every stored device; the
 * batch removes its contacts' devices. Both write many of the same rows, so on PostgreSQL the
 * two used to deadlock now and then: the admin got 409 "try again", or the batch was rolled back
 * and redone one contact at a time. Now neither may happen: the change answers 200, the batch
 * is never redone, and afterwards the batch's contacts have no live device while everyone
 * else's are shortened to the new period.
 */

/** Each round shortens the period again; devices are 2 days old, so the last round revokes them. */
const PERIODS = [29, 20, 12, 6, 3, 1];
/**
 * Contacts in the job, and others with devices, interleaved so rows are written in no one
 * order. Without the fix, 600 and 300 deadlocked in every run on PostgreSQL (300 and 150, with
 * devices of one age, did not).
 */
const IN_JOB = 600;
const OTHERS = 300;
const DEVICES_EACH = 3;

const race = useRacingApp();
const { problems } = race;
let t: TestApp;
let admin: StaffWithMFA;
beforeAll(() => {
  ({ t, admin } = race);
});

/** Devices remembered `ageDays` ago, for everyone given, inserted in a shuffled order. */
async function rememberDevices(owners: string[], ageDays: number): Promise<void> {
  const now = t.clock.now();
  const created = new Date(now.getTime() - ageDays * DAY).toISOString();
  const rows = owners.flatMap((owner) =>
    Array.from({ length: DEVICES_EACH }, () => ({
      id: generateID('rd'),
      owner_kind: 'contact' as const,
      owner_id: owner,
      token_hash: randomBytes(32).toString('hex'),
      browser: 'Chrome on Linux',
      ip: '127.0.0.1',
      created_at: created,
      last_used_at: null,
      expires_at: new Date(now.getTime() + 30 * DAY).toISOString(),
    })),
  );
  rows.sort(() => Math.random() - 0.5);
  for (let i = 0; i < rows.length; i += 500) await t.ctx.db.insertInto('remembered_devices').values(rows.slice(i, i + 500)).execute();
}

describe('a shorter remembered-device period racing a bulk reset ends in a serial order', () => {
  it(`${PERIODS.length} rounds of a settings change against a batch writing the same devices`, async () => {
    for (const [round, newDays] of PERIODS.entries()) {
      const inJob = await seedEnrolledContacts(t.ctx, IN_JOB);
      const others = await seedEnrolledContacts(t.ctx, OTHERS);
      // Remembered 2 and 25 days ago: a shorter period revokes the older ones (one statement)
      // and shortens the rest (another), and the batch removes its contacts' devices between.
      await rememberDevices([...inJob, ...others], 2);
      await rememberDevices([...inJob, ...others], 25);
      await admin.stepUp();
      const emails = (await t.ctx.db.selectFrom('contacts').select('email').where('id', 'in', inJob).execute()).map((c) => c.email);
      const created = await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { emails }, reason: `incident drill ${round}` });
      expect(created.statusCode, created.body).toBe(202);
      const job = created.json();

      const runner = new BulkRunner(t.ctx);
      // The batch starts at a slightly different moment each round, so that both orders occur.
      const batch = new Promise((resolve) => setTimeout(resolve, round % 3)).then(() => runner.runOnce());
      const [ran, change] = await Promise.all([batch, admin.client.put('/api/v1/settings/mfa', { rememberDeviceDays: newDays, reason: `shorter, round ${round}` })]);
      const why = `round ${round}: ${change.statusCode} ${change.body}`;
      expect(change.statusCode, why).toBe(200);
      expect(ran).toBe(true);
      const finished = (await admin.client.get(`/api/v1/mfa/bulk-resets/${job.id}`)).json();
      expect(finished, JSON.stringify(finished)).toMatchObject({ status: 'completed', done: IN_JOB, failed: 0 });
      // The batch was never rolled back and redone one contact at a time.
      expect(problems, problems.join('\n')).toEqual([]);

      const now = t.clock.now();
      const live = await t.ctx.db.selectFrom('remembered_devices').select(['owner_id', 'created_at', 'expires_at']).where('expires_at', '>', now.toISOString()).execute();
      const jobSet = new Set(inJob);
      expect(live.filter((d) => jobSet.has(d.owner_id)), why).toEqual([]);
      // Everyone else's devices end within the new period from when they were remembered.
      for (const d of live) expect(new Date(d.expires_at).getTime() - new Date(d.created_at).getTime(), why).toBeLessThanOrEqual(newDays * DAY);
      const othersLive = live.filter((d) => others.includes(d.owner_id)).length;
      // Remembered 2 and 25 days ago: those younger than the new period are kept, shortened.
      expect(othersLive, why).toBe(OTHERS * DEVICES_EACH * (Number(newDays > 2) + Number(newDays > 25)));
    }
  }, 180_000);
});
