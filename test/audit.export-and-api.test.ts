import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { appendAuditEvents } from '../src/audit/service.js';
import { csvCell } from '../src/audit/export.js';

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
        Array.from({ length: 5000 }, (_, i) => ({ actor: { type: 'system' as const, id: null }, action: 'test.volume', details: { i } })),
      ),
    );
    const nd = await admin.client.get('/api/v1/audit-events/export?format=ndjson&action=test.volume');
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
