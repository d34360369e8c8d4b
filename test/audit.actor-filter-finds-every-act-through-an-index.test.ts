import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledQuery, sql } from 'kysely';
import { createTestApp, dialectUnderTest, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { appendAuditEvent } from '../src/audit/service.js';
import { filtered } from '../src/audit/routes.js';
import type { Executor } from '../src/db/index.js';

// Contacts' own acts are not in the audit log's index by actor (migration 010): the filter by
// actor finds them through the index by contact. Every answer here is checked against a plain
// scan of the table, and the plans against the index each filter is meant to use.

let t: TestApp;
let admin: StaffWithMFA;
let sup: StaffWithMFA;
let contactID: string;
let otherID: string;
beforeAll(async () => {
  t = await createTestApp();
  admin = await staffWithMFA(t, 'admin');
  sup = await staffWithMFA(t, 'supervisor');
  const c = await signUpContact(t);
  contactID = c.id;
  await enrollTOTP(t, c.client);
  otherID = (await signUpContact(t)).id;
  await sup.stepUp();
  await sup.client.post(`/api/v1/contacts/${contactID}/sessions/revoke`, { reason: 'Customer asked on the phone' });
  await sup.client.post(`/api/v1/contacts/${otherID}/sessions/revoke`, { reason: 'Customer asked by email' });
});
afterAll(async () => {
  await t.close();
});

const ids = (items: Array<{ id: string }>) => items.map((e) => e.id).sort();
const scan = async (where: (e: { actor_id: string | null; actor_type: string; staff_id: string | null }) => boolean) =>
  (await t.ctx.db.selectFrom('audit_events').select(['id', 'actor_id', 'actor_type', 'staff_id']).execute()).filter(where).map((e) => e.id).sort();
const list = async (query: string) => {
  const r = await admin.client.get(`/api/v1/audit-events?${query}&limit=200`);
  expect(r.statusCode, query).toBe(200);
  return r.json().items as Array<{ id: string; actor: { type: string; id: string }; contactId: string | null }>;
};

async function planOf(db: Executor, f: Parameters<typeof filtered>[1]): Promise<string> {
  const c = filtered(db, f).orderBy('seq', 'desc').limit(50).compile();
  if (dialectUnderTest === 'sqlite') {
    const r = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${c.sql}`, [...c.parameters]));
    return r.rows.map((x) => x.detail).join(' | ');
  }
  // A test table is small enough for PostgreSQL to prefer reading all of it: ask what it
  // would use otherwise.
  return t.ctx.db.transaction().execute(async (trx) => {
    await sql`SET LOCAL enable_seqscan = off`.execute(trx);
    const r = await trx.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`EXPLAIN ${c.sql}`, [...c.parameters]));
    return r.rows.map((x) => x['QUERY PLAN']).join(' | ');
  });
}

describe('audit log: the filter by actor', () => {
  it('finds exactly a contact’s own acts, with or without actorType', async () => {
    const truth = await scan((e) => e.actor_id === contactID);
    expect(truth.length).toBeGreaterThanOrEqual(4); // sign-up, email confirmed, sign-in, enrollment
    expect(ids(await list(`actorId=${contactID}`))).toEqual(truth);
    expect(ids(await list(`actorType=contact&actorId=${contactID}`))).toEqual(truth);
    expect(await list(`actorType=staff&actorId=${contactID}`)).toEqual([]);
    // What staff did to the contact is about the contact, not by it.
    for (const e of await list(`actorId=${contactID}`)) expect(e).toMatchObject({ actor: { type: 'contact', id: contactID }, contactId: contactID });
  });

  it('finds exactly a staff member’s acts, and staffId finds their acts and the events about them', async () => {
    expect(ids(await list(`actorId=${sup.id}`))).toEqual(await scan((e) => e.actor_id === sup.id));
    expect(ids(await list(`actorType=staff&actorId=${sup.id}`))).toEqual(await scan((e) => e.actor_id === sup.id));
    expect(ids(await list(`staffId=${sup.id}`))).toEqual(await scan((e) => e.actor_id === sup.id || e.staff_id === sup.id));
    expect((await list(`actorId=${sup.id}&action=sessions.revoked_by_staff`)).map((e) => e.contactId).sort()).toEqual([contactID, otherID].sort());
  });

  it('an id that acted nowhere finds nothing', async () => {
    expect(await list('actorId=ct_nobody')).toEqual([]);
    expect(await list('actorId=st_nobody')).toEqual([]);
  });

  it('reads a contact’s acts through the index by contact and anyone else’s through the index by actor', async () => {
    expect(await planOf(t.ctx.db, { actorId: contactID })).toContain('audit_contact');
    expect(await planOf(t.ctx.db, { actorType: 'contact', actorId: contactID })).toContain('audit_contact');
    expect(await planOf(t.ctx.db, { actorId: sup.id })).toContain('audit_actor');
    expect(await planOf(t.ctx.db, { actorType: 'staff', actorId: sup.id })).toContain('audit_actor');
  });

  it('an event a contact did names the contact as its subject, and never another contact', async () => {
    await t.ctx.db.transaction().execute((trx) => appendAuditEvent(t.ctx, trx, { actor: { type: 'contact', id: contactID }, action: 'mfa.remembered_device.revoked', details: { deviceId: 'rd_test' } }));
    const [own] = await list(`actorId=${contactID}&action=mfa.remembered_device.revoked`);
    expect(own).toMatchObject({ contactId: contactID });
    const before = await t.ctx.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    await expect(
      t.ctx.db.transaction().execute((trx) => appendAuditEvent(t.ctx, trx, { actor: { type: 'contact', id: contactID }, contactID: otherID, action: 'mfa.remembered_device.revoked' })),
    ).rejects.toThrow(/acting on/);
    const after = await t.ctx.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    expect((await admin.client.get('/api/v1/audit-events/verify')).json()).toMatchObject({ ok: true });
  });
});
