import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { seedEnrolledContacts } from './helpers/seed.js';
import { BulkRunner } from '../src/recovery/bulk.js';
import { purgeExpiredSessions } from '../src/sessions/service.js';
import { purgeExpiredRememberedDevices } from '../src/mfa/remembered-devices.js';
import { REVOKED, replaceSession, type SessionRow } from '../src/sessions/store.js';
import { generateID } from '../src/crypto/random.js';

/**
 * On SQLite a bulk reset revokes a contact's sessions and remembered devices by expiring their
 * rows (deleting them would rewrite a page of the random token-hash index for nearly every
 * row), and housekeeping deletes them later; PostgreSQL deletes them at once. Either way a
 * revoked row must be as dead as a deleted one: no request, no pending second step, no
 * rotation racing the job can bring it back.
 */
let t: TestApp;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

describe('sessions and remembered devices revoked by a bulk reset', () => {
  it('end every session, pending sign-in and remembered device of the contact at once', async () => {
    const { client: signedIn, email, id } = await signUpContact(t);
    const { secret } = await enrollTOTP(t, signedIn);
    // A second browser that finished the second step and remembered itself.
    nextStep(t);
    const remembered = t.client();
    expect((await remembered.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
    expect((await remembered.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, secret), rememberDevice: true })).statusCode).toBe(200);
    // A third that passed the password and waits at the second step.
    nextStep(t);
    const pending = t.client();
    expect((await pending.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
    const before = (await admin.client.get(`/api/v1/contacts/${id}/mfa`)).json();
    expect(before.activeSessions).toHaveLength(2); // full sessions; the pending sign-in is not listed
    expect(before.rememberedDevices).toHaveLength(1);

    await admin.stepUp();
    const job = (await admin.client.post('/api/v1/mfa/bulk-resets', { filter: { emails: [email] }, reason: 'revocation' })).json();
    await new BulkRunner(t.ctx).runOnce();
    expect((await admin.client.get(`/api/v1/mfa/bulk-resets/${job.id}`)).json()).toMatchObject({ status: 'completed', done: 1 });

    expect((await signedIn.get('/api/v1/auth/session')).json().state).toBe('anonymous');
    expect((await remembered.get('/api/v1/auth/session')).json().state).toBe('anonymous');
    expect((await signedIn.get('/api/v1/me')).statusCode).toBe(401);
    // The pending sign-in cannot be finished, not even with a right code.
    nextStep(t);
    const verify = await pending.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, secret) });
    expect(verify.statusCode).toBe(401);
    expect(verify.headers['content-type']).toContain('application/problem+json');
    const after = (await admin.client.get(`/api/v1/contacts/${id}/mfa`)).json();
    expect(after).toMatchObject({ enrolled: false, activeSessions: [], rememberedDevices: [] });
    const entry = await t.ctx.db.selectFrom('audit_events').select('details').where('action', '=', 'mfa.reset').where('contact_id', '=', id).executeTakeFirstOrThrow();
    expect(JSON.parse(entry.details!)).toMatchObject({ sessionsRevoked: 3, rememberedDevicesRemoved: 1 });
  });

  it('a revoked session is never revived by a rotation that read it before the job ran', async () => {
    const { id } = await signUpContact(t);
    const row = await t.ctx.db.selectFrom('sessions').selectAll().where('subject_id', '=', id).executeTakeFirstOrThrow();
    // What a second step that loaded the session just before the job would write.
    const rotated: SessionRow = {
      idHash: `rotated-${generateID('x')}`,
      kind: row.kind,
      subjectID: row.subject_id,
      level: 'full',
      createdAt: row.created_at,
      lastSeenAt: row.last_seen_at,
      expiresAt: new Date(t.clock.now().getTime() + 3600_000).toISOString(),
      stepUpAt: null,
      ip: null,
      userAgent: null,
    };
    await t.ctx.db.updateTable('sessions').set({ expires_at: REVOKED }).where('id_hash', '=', row.id_hash).execute();
    expect(await replaceSession(t.ctx.db, row.id_hash, rotated)).toBe(false);
    const left = await t.ctx.db.selectFrom('sessions').select(['id_hash', 'expires_at']).where('subject_id', '=', id).execute();
    expect(left).toEqual([{ id_hash: row.id_hash, expires_at: REVOKED }]);
  });

  it('housekeeping deletes revoked and expired rows in chunks and keeps live ones', async () => {
    const [owner] = await seedEnrolledContacts(t.ctx, 1);
    const now = t.clock.now();
    const later = new Date(now.getTime() + 3600_000).toISOString();
    const at = now.toISOString();
    const sessions = (n: number, expires: string) =>
      Array.from({ length: n }, () => ({ id_hash: generateID('sh'), kind: 'contact' as const, subject_id: owner, level: 'full' as const, created_at: at, last_seen_at: at, expires_at: expires, step_up_at: null, ip: null, user_agent: null }));
    const devices = (n: number, expires: string) =>
      Array.from({ length: n }, () => ({ id: generateID('rd'), owner_kind: 'contact' as const, owner_id: owner, token_hash: generateID('th'), browser: 'Firefox on Linux', ip: null, created_at: at, last_used_at: at, expires_at: expires }));
    // More than one chunk of dead rows (revoked, and expired a second ago), and a few live ones.
    const dead = [...sessions(2300, REVOKED), ...sessions(200, new Date(now.getTime() - 1000).toISOString())];
    for (let i = 0; i < dead.length; i += 500) await t.ctx.db.insertInto('sessions').values(dead.slice(i, i + 500)).execute();
    await t.ctx.db.insertInto('sessions').values(sessions(3, later)).execute();
    const deadDevices = devices(1200, REVOKED);
    for (let i = 0; i < deadDevices.length; i += 500) await t.ctx.db.insertInto('remembered_devices').values(deadDevices.slice(i, i + 500)).execute();
    await t.ctx.db.insertInto('remembered_devices').values(devices(2, later)).execute();

    expect(await purgeExpiredSessions(t.ctx)).toBeGreaterThanOrEqual(2500);
    expect(await purgeExpiredRememberedDevices(t.ctx)).toBeGreaterThanOrEqual(1200);
    const left = await t.ctx.db.selectFrom('sessions').select('expires_at').where('subject_id', '=', owner).execute();
    expect(left.map((r) => r.expires_at)).toEqual([later, later, later]);
    const leftDevices = await t.ctx.db.selectFrom('remembered_devices').select('expires_at').where('owner_id', '=', owner).execute();
    expect(leftDevices.map((r) => r.expires_at)).toEqual([later, later]);
    // The admin's own session survived housekeeping.
    expect((await admin.client.get('/api/v1/staff-auth/session')).json().state).toBe('authenticated');
  });
});
