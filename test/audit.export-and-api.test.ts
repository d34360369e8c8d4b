import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { appendAuditEvents } from '../src/audit/service.js';
import { csvCell } from '../src/audit/export.js';
import { AUDIT_ACTIONS } from '../src/audit/actions.js';

let t: TestApp;
let admin: StaffWithMFA;
let sup: StaffWithMFA;
let contactID: string;
beforeAll(async () => {
  t = await createTestApp();
  admin = await staffWithMFA(t, 'admin');
  sup = await staffWithMFA(t, 'supervisor');
  const c = await signUpContact(t);
  contactID = c.id;
  await enrollTOTP(t, c.client);
  await sup.stepUp();
  // A reason a spreadsheet would run as a formula, with a comma, a quote and a newline.
  await sup.client.post(`/api/v1/contacts/${contactID}/sessions/revoke`, { reason: '=HYPERLINK("http://evil","click"),\nline two' });
});
afterAll(async () => {
  await t.close();
});

describe('audit log over the API', () => {
  it('filters by contact, actor, action and dates, newest first, keyset-paged', async () => {
    const all = (await admin.client.get(`/api/v1/audit-events?contactId=${contactID}&limit=2`)).json();
    expect(all.items).toHaveLength(2);
    expect(all.items[0].at >= all.items[1].at).toBe(true);
    const next = (await admin.client.get(`/api/v1/audit-events?contactId=${contactID}&limit=2&cursor=${all.nextCursor}`)).json();
    expect(next.items[0].id).not.toBe(all.items[1].id);
    const byActor = (await admin.client.get(`/api/v1/audit-events?staffId=${sup.id}&action=sessions.revoked_by_staff`)).json().items;
    expect(byActor).toHaveLength(1);
    expect(byActor[0]).toMatchObject({ contactId: contactID, actor: { type: 'staff', id: sup.id }, userAgent: expect.stringContaining('PorticoTest') });
    const future = (await admin.client.get(`/api/v1/audit-events?since=${new Date(t.clock.now().getTime() + 3600_000).toISOString()}`)).json();
    expect(future.items).toHaveLength(0);
    expect((await admin.client.get('/api/v1/audit-events?since=yesterday')).statusCode).toBe(400);
    expect((await admin.client.get('/api/v1/audit-events?limit=500')).statusCode).toBe(400);
  });

  it('lists every action name in the OpenAPI document, filters by one, a family or the kind of actor, and refuses unknown names', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const param = doc.paths['/api/v1/audit-events'].get.parameters.find((p: { name: string }) => p.name === 'action');
    const listed = JSON.stringify(param.schema);
    for (const name of AUDIT_ACTIONS) expect(listed, name).toContain(`"${name}"`);
    for (const name of ['auth.login.succeeded', 'mfa.factor.enrolled', 'mfa.reset', 'mfa.temporary_code.issued', 'mfa.bulk_reset.started']) expect(listed).toContain(name);
    // Every action this suite has written so far is a listed one.
    const written = await t.ctx.db.selectFrom('audit_events').select('action').distinct().execute();
    for (const { action } of written) expect(AUDIT_ACTIONS as readonly string[]).toContain(action);

    const family = (await admin.client.get(`/api/v1/audit-events?contactId=${contactID}&action=sessions.*`)).json().items;
    expect(family.map((e: { action: string }) => e.action)).toEqual(['sessions.revoked_by_staff']);
    const byCLI = (await admin.client.get(`/api/v1/audit-events?actorType=cli&limit=200`)).json().items;
    expect(byCLI.length).toBeGreaterThan(0);
    for (const e of byCLI) expect(e.actor.type).toBe('cli');
    const byActorID = (await admin.client.get(`/api/v1/audit-events?actorType=staff&actorId=${sup.id}`)).json().items;
    expect(byActorID.length).toBeGreaterThan(0);
    for (const e of byActorID) expect(e.actor).toEqual({ type: 'staff', id: sup.id });
    for (const bad of ['action=no.such.action', 'action=mfa', 'action=%27%20OR%201%3D1', 'actorType=robot']) {
      const r = await admin.client.get(`/api/v1/audit-events?${bad}`);
      expect(r.statusCode, bad).toBe(400);
      expect(r.json().code).toBe('invalid_input');
    }
  });

  it('exports CSV with formula cells defused and NDJSON, to admins only', async () => {
    const csv = await admin.client.get(`/api/v1/audit-events/export?format=csv&contactId=${contactID}`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="portico-audit-.*\.csv"/);
    const lines = csv.body.split('\r\n');
    expect(lines[0]).toBe('id,at,actorType,actorId,contactId,staffId,action,reason,verification,ip,userAgent,details');
    expect(csv.body).toContain(`"'=HYPERLINK(""http://evil"",""click""),\nline two"`);
    expect(csv.body).not.toMatch(/(^|,)=HYPERLINK/m);
    const nd = await admin.client.get(`/api/v1/audit-events/export?format=ndjson&contactId=${contactID}`);
    const events = nd.body.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.some((e) => e.action === 'sessions.revoked_by_staff' && e.reason.startsWith('=HYPERLINK'))).toBe(true);
    expect((await sup.client.get('/api/v1/audit-events/export?format=csv')).statusCode).toBe(403);
  });

  it('streams a large export in log order without loss', async () => {
    const before = (await admin.client.get('/api/v1/audit-events/verify')).json().checked;
    await t.ctx.db.transaction().execute((trx) =>
      appendAuditEvents(
        t.ctx,
        trx,
        Array.from({ length: 5000 }, (_, i) => ({ actor: { type: 'system' as const, id: null }, action: 'staff.reactivated', details: { i } })),
      ),
    );
    const nd = await admin.client.get('/api/v1/audit-events/export?format=ndjson&action=staff.reactivated');
    const rows = nd.body.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(5000);
    expect(rows.map((r) => r.details.i)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect((await admin.client.get('/api/v1/audit-events/verify')).json()).toMatchObject({ ok: true, checked: before + 5000 });
  });

  it('verify reports a tampered row through the API', async () => {
    const row = await t.ctx.db.selectFrom('audit_events').select('id').where('action', '=', 'sessions.revoked_by_staff').executeTakeFirstOrThrow();
    await t.ctx.db.updateTable('audit_events').set({ reason: 'routine' }).where('id', '=', row.id).execute();
    const v = (await admin.client.get('/api/v1/audit-events/verify')).json();
    expect(v).toMatchObject({ ok: false, firstBrokenId: row.id });
  });
});

describe('csvCell', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    [null, ''],
  ])('%j → %j', (input, out) => {
    expect(csvCell(input)).toBe(out);
  });
});
