import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, dialectUnderTest, signUpContact, type TestApp } from './helpers/app.js';
import { appendAuditEvent, verifyAuditChain } from '../src/audit/service.js';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
  // Real traffic writes the entries: sign-ups, verifications, sign-ins.
  await signUpContact(t);
  await signUpContact(t);
  for (let i = 0; i < 3; i++) await appendAuditEvent(t.ctx, t.ctx.db, { actor: { type: 'system', id: null }, action: 'settings.general.changed', details: { i } });
});
afterEach(async () => {
  await t.close();
});

async function entries() {
  return t.ctx.db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
}

describe('the audit chain detects tampering', () => {
  it('verifies an untouched chain and reports its head', async () => {
    const rows = await entries();
    expect(rows.length).toBeGreaterThanOrEqual(9);
    const r = await verifyAuditChain(t.ctx);
    expect(r).toEqual({ ok: true, checked: rows.length, headHash: rows[rows.length - 1].hash });
    // The chain never holds a secret: no token-looking value in any details.
    for (const row of rows) expect(row.details ?? '').not.toMatch(/[A-Za-z0-9_-]{40,}/);
  });

  it('detects an edited entry and names it', async () => {
    const rows = await entries();
    const victim = rows[3];
    await t.ctx.db.updateTable('audit_events').set({ reason: 'nothing to see here' }).where('id', '=', victim.id).execute();
    const r = await verifyAuditChain(t.ctx);
    expect(r).toMatchObject({ ok: false, checked: 3, firstBrokenId: victim.id });
  });

  it('detects an edit that also recomputed a plain SHA-256 (the HMAC key is needed)', async () => {
    const rows = await entries();
    const victim = rows[2];
    await t.ctx.db.updateTable('audit_events').set({ ip: '203.0.113.9', hash: 'f'.repeat(64) }).where('id', '=', victim.id).execute();
    expect(await verifyAuditChain(t.ctx)).toMatchObject({ ok: false, firstBrokenId: victim.id });
  });

  it('detects an entry slipped in below the chain (seq 0, negative, or NULL where the database allows it), which the lists would show', async () => {
    const rows = await entries();
    const forged = { ...rows[2], reason: 'forged: reset approved by the security team' };
    for (const [i, seq] of [0, -1, null].entries()) {
      const id = `${forged.id}x${i}`;
      try {
        await t.ctx.db.insertInto('audit_events').values({ ...forged, id, seq: seq as number }).execute();
      } catch (error) {
        // PostgreSQL refuses NULL in a primary key (SQLite takes it): nothing was slipped in.
        expect({ seq, dialectUnderTest, error: String(error) }).toMatchObject({ seq: null, dialectUnderTest: 'postgres' });
        continue;
      }
      expect(await verifyAuditChain(t.ctx)).toMatchObject({ ok: false, firstBrokenId: id });
      await t.ctx.db.deleteFrom('audit_events').where('id', '=', id).execute();
    }
    expect((await verifyAuditChain(t.ctx)).ok).toBe(true);
  });

  it('detects a deleted entry in the middle', async () => {
    const rows = await entries();
    await t.ctx.db.deleteFrom('audit_events').where('id', '=', rows[4].id).execute();
    const r = await verifyAuditChain(t.ctx);
    expect(r).toMatchObject({ ok: false, checked: 4, firstBrokenId: rows[5].id });
  });

  it('detects a deleted middle entry even when the later seq numbers were shifted down to hide the gap', async () => {
    const rows = await entries();
    await t.ctx.db.deleteFrom('audit_events').where('id', '=', rows[4].id).execute();
    for (const row of rows.slice(5)) await t.ctx.db.updateTable('audit_events').set({ seq: Number(row.seq) - 1 }).where('id', '=', row.id).execute();
    await t.ctx.db.updateTable('audit_head').set({ seq: rows.length - 1 }).where('id', '=', 1).execute();
    expect(await verifyAuditChain(t.ctx)).toMatchObject({ ok: false, firstBrokenId: rows[5].id });
  });

  it('detects a deleted last entry (the head still remembers it)', async () => {
    const rows = await entries();
    await t.ctx.db.deleteFrom('audit_events').where('id', '=', rows[rows.length - 1].id).execute();
    const r = await verifyAuditChain(t.ctx);
    expect(r.ok).toBe(false);
    expect(r.checked).toBe(rows.length - 1);
    expect(r.problem).toMatch(/deleted from the end/);
  });

  it('keeps one unbroken chain under concurrent appends', async () => {
    await Promise.all(Array.from({ length: 30 }, (_, i) => appendAuditEvent(t.ctx, t.ctx.db, { actor: { type: 'system', id: null }, action: 'settings.general.changed', details: { i } })));
    const r = await verifyAuditChain(t.ctx);
    expect(r.ok).toBe(true);
    expect(r.checked).toBe((await entries()).length);
  });
});
