import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { appendAuditEvent, verifyAuditChain } from '../src/audit/service.js';

// The audit log's check runs while the help center works: sign-ins append entries all the time.
// It read the entries first and the head last, so entries appended in between made an untouched
// log look "deleted from the end" (17 of 20 checks under sign-in traffic on PostgreSQL). A tamper
// alarm that goes off on ordinary days is one nobody believes on the day it matters. It must
// still catch what was written beyond the head, and a head that names another last entry.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await signUpContact(t);
});
afterAll(async () => {
  await t.close();
});

const append = (i: number) => appendAuditEvent(t.ctx, t.ctx.db, { actor: { type: 'system', id: null }, action: 'settings.general.changed', details: { i } });

describe('verifying the audit chain while entries are appended', () => {
  it('every check of an untouched log says ok, however the appends interleave', async () => {
    let running = true;
    let n = 0;
    const writers = Array.from({ length: 8 }, async () => {
      while (running) await append(n++);
    });
    const results = [];
    for (let i = 0; i < 400 && (i < 20 || n < 200); i++) {
      results.push(await verifyAuditChain(t.ctx));
      await new Promise((r) => setTimeout(r, 1));
    }
    running = false;
    await Promise.all(writers);
    expect(n).toBeGreaterThanOrEqual(200);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const quiet = await verifyAuditChain(t.ctx);
    expect(quiet.ok).toBe(true);
    expect(quiet.checked).toBe((await t.ctx.db.selectFrom('audit_events').select('id').execute()).length);
  });

  it('an entry written beyond the head is still caught', async () => {
    await append(1);
    const last = await t.ctx.db.selectFrom('audit_events').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
    const id = `${last.id}x`;
    await t.ctx.db.insertInto('audit_events').values({ ...last, id, seq: Number(last.seq) + 1, reason: 'forged: approved by security' }).execute();
    const r = await verifyAuditChain(t.ctx);
    expect(r).toMatchObject({ ok: false, firstBrokenId: id });
    expect(r.problem).toMatch(/beyond the head/);
    await t.ctx.db.deleteFrom('audit_events').where('id', '=', id).execute();
    expect((await verifyAuditChain(t.ctx)).ok).toBe(true);
  });

  it('a head that names another last entry is caught', async () => {
    await append(2);
    const head = await t.ctx.db.selectFrom('audit_head').selectAll().executeTakeFirstOrThrow();
    await t.ctx.db.updateTable('audit_head').set({ hash: 'e'.repeat(64) }).where('id', '=', 1).execute();
    const r = await verifyAuditChain(t.ctx);
    expect(r.ok).toBe(false);
    expect(r.problem).toMatch(/rewritten/);
    await t.ctx.db.updateTable('audit_head').set({ hash: head.hash }).where('id', '=', 1).execute();
  });
});
