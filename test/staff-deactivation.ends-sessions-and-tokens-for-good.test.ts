import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, type TestApp } from './helpers/app.js';
import { codeFor, nextStep, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { runPortico } from './helpers/cli.js';
import { createAPIToken } from '../src/sessions/api-tokens.js';
import { getAccount } from '../src/accounts/service.js';

// PRODUCT.md §2: deactivating a staff member ends their sessions and revokes their API tokens.
// They cannot sign in (not even half-way), and reactivation brings back neither.

let t: TestApp;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

describe('a deactivated staff member', () => {
  it('loses every session (a pending second step too) and token, cannot sign in, and reactivation resurrects neither', async () => {
    const sup = await staffWithMFA(t, 'supervisor');
    const pending = t.client();
    expect((await pending.post('/api/v1/staff-auth/login', { email: sup.email, password: PASSWORD })).json().state).toBe('mfa_required');
    const owner = (await getAccount(t.ctx, 'staff', sup.id))!;
    const made = await createAPIToken(t.ctx, { type: 'staff', id: admin.id }, owner, { name: 'sup bot', scopes: ['contacts:read', 'mfa:manage'], expiresInDays: 30 }, { ip: null, userAgent: null });
    const bearer = { authorization: `Bearer ${made.token}` };
    const cli = await runPortico(['token', 'create', '--email', sup.email, '--name', 'cli bot', '--scopes', 'contacts:read'], t.cliEnv());
    expect(cli.code, cli.stderr).toBe(0);
    const cliBearer = { authorization: `Bearer ${cli.stdout.trim()}` };
    expect((await t.client().get('/api/v1/contacts', bearer)).statusCode).toBe(200);

    const off = await admin.client.patch(`/api/v1/staff/${sup.id}`, { active: false });
    expect(off.statusCode, off.body).toBe(200);
    expect((await sup.client.get('/api/v1/contacts')).statusCode).toBe(401);
    nextStep(t);
    expect((await pending.post('/api/v1/staff-auth/mfa/verify', { method: 'totp', code: codeFor(t, sup.secret) })).statusCode).toBe(401);
    for (const b of [bearer, cliBearer]) expect((await t.client().get('/api/v1/contacts', b)).statusCode).toBe(401);
    expect((await t.client().post('/api/v1/staff-auth/login', { email: sup.email, password: PASSWORD })).json().code).toBe('invalid_credentials');
    // No new token for them while deactivated, from the console or the CLI.
    await admin.stepUp();
    const refused = await runPortico(['token', 'create', '--email', sup.email, '--name', 'again', '--scopes', 'contacts:read'], t.cliEnv());
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);

    await admin.stepUp();
    expect((await admin.client.patch(`/api/v1/staff/${sup.id}`, { active: true })).statusCode).toBe(200);
    for (const b of [bearer, cliBearer]) expect((await t.client().get('/api/v1/contacts', b)).statusCode).toBe(401);
    expect((await sup.client.get('/api/v1/contacts')).statusCode).toBe(401);
    // They come back through the full sign-in, second step included.
    const back = t.client();
    expect((await back.post('/api/v1/staff-auth/login', { email: sup.email, password: PASSWORD })).json().state).toBe('mfa_required');
    nextStep(t);
    expect((await back.post('/api/v1/staff-auth/mfa/verify', { method: 'totp', code: codeFor(t, sup.secret) })).json().state).toBe('authenticated');
    const tokens = (await admin.client.get('/api/v1/api-tokens?limit=200')).json().items.filter((x: { staffId: string }) => x.staffId === sup.id);
    expect(tokens).toHaveLength(2);
    for (const tok of tokens) expect(tok.revokedAt).toBeTruthy();
  });
});
