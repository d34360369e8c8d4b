import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import type { Context } from '../src/context.js';
import { appendAuditEvent, appendAuditEvents, verifyAuditChain, type AuditEntry } from '../src/audit/service.js';
import { createTestApp, dialectUnderTest, type TestApp } from './helpers/app.js';

// The audit chain is one line: every entry links to the one before it, and the head row
// remembers the last. An append moves the head in one write when its runtime's guess of the
// head is right, and reserves it otherwise. Two runtimes on one database stand for two
// processes (a server and a CLI command, or two servers on PostgreSQL): each guesses from what
// it wrote last, so each guess goes stale when the other appends, and when the transaction
// that wrote it rolls back. On PostgreSQL they append at once. On SQLite two runtimes in one
// process cannot (the one writer's group commits at the end of the event-loop turn that the
// other's wait for the lock blocks), so there they take turns in a shuffled order.

let t: TestApp;
let other: Runtime;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  other = await createRuntime(loadConfig(t.cliEnv()), { clock: t.clock, runJobs: false });
});
afterAll(async () => {
  await other.close();
  await t.close();
});

const entry = (i: number): AuditEntry => ({ actor: { type: 'system', id: null }, action: 'settings.general.changed', details: { i } });

/** Appends in a transaction that then rolls back. */
async function appendThenRollBack(ctx: Context, i: number): Promise<void> {
  await expect(
    ctx.db.transaction().execute(async (trx) => {
      await appendAuditEvent(ctx, trx, entry(i));
      throw new Error('rolled back on purpose');
    }),
  ).rejects.toThrow('rolled back on purpose');
}

async function entryCount(): Promise<number> {
  const r = await t.ctx.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

async function expectOneUnbrokenLine(expectedEntries: number): Promise<void> {
  const v = await verifyAuditChain(t.ctx);
  expect(v).toMatchObject({ ok: true, checked: expectedEntries });
  const seqs = (await t.ctx.db.selectFrom('audit_events').select('seq').orderBy('seq').execute()).map((r) => Number(r.seq));
  expect(seqs).toEqual(Array.from({ length: expectedEntries }, (_, i) => i + 1));
}

describe('the audit chain never forks', () => {
  it('when the transaction that wrote a runtime’s last head rolls back and another runtime appends in its place', async () => {
    const before = await entryCount();
    const a = t.ctx;
    const b = other.ctx;
    await appendAuditEvent(a, a.db, entry(1));
    // a's guess is now its own last entry. That entry's transaction rolls back, and b appends
    // an entry at the same seq, with another hash.
    await appendThenRollBack(a, 2);
    await appendAuditEvent(b, b.db, entry(3));
    // a's guess has the right seq but the wrong hash: linking to it would fork the chain.
    await appendAuditEvent(a, a.db, entry(4));
    await a.db.transaction().execute((trx) => appendAuditEvents(a, trx, [entry(5), entry(6), entry(7)]));
    await appendAuditEvent(b, b.db, entry(8));
    await expectOneUnbrokenLine(before + 7);
  });

  it('when two runtimes append at once, many times, with a quarter of the transactions rolling back', async () => {
    const before = await entryCount();
    const runs = (ctx: Context, from: number) =>
      Array.from({ length: 60 }, (_, i) => async () => {
        if ((from + i) % 4 === 0) await appendThenRollBack(ctx, from + i);
        else if (i % 10 === 5) await ctx.db.transaction().execute((trx) => appendAuditEvents(ctx, trx, [entry(from + i), entry(from + i)]));
        else await appendAuditEvent(ctx, ctx.db, entry(from + i));
      });
    const all = [...runs(t.ctx, 0), ...runs(other.ctx, 1000)];
    if (dialectUnderTest === 'postgres') {
      await Promise.all(all.map((run) => run()));
    } else {
      for (let i = all.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [all[i], all[j]] = [all[j], all[i]];
      }
      for (const run of all) await run();
    }
    // 120 transactions: 30 rolled back; of the 90 kept, the 12 at i % 10 === 5 (none of them
    // a multiple of 4 here) append two entries each.
    const kept = [0, 1000].flatMap((from) => Array.from({ length: 60 }, (_, i) => i).filter((i) => (from + i) % 4 !== 0));
    const appended = kept.reduce((n, i) => n + (i % 10 === 5 ? 2 : 1), 0);
    await expectOneUnbrokenLine(before + appended);
  });
});
