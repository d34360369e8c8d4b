import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// PRODUCT.md §2, §5. An admin may make an API token in a colleague's name, and whatever it does
// is then recorded as the colleague's token. So that an admin cannot act through a colleague's
// name unseen: the token list names who made each token, the admins' alert names the maker, and
// the colleague is told a token was made in their name.

let t: TestApp;
let maker: StaffWithMFA;
let colleague: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  maker = await staffWithMFA(t, 'admin');
  colleague = await staffWithMFA(t, 'supervisor');
});
afterAll(async () => {
  await t.close();
});

const nameOf = async (id: string) => (await t.ctx.db.selectFrom('staff').select(['name', 'email']).where('id', '=', id).executeTakeFirstOrThrow());

describe("a token made in a colleague's name", () => {
  it('is listed with its maker, and the admins and the colleague are told who made it', async () => {
    await maker.stepUp();
    const made = await maker.client.post('/api/v1/api-tokens', { name: 'quiet helper', scopes: ['mfa:manage', 'contacts:read'], staffId: colleague.id, expiresInDays: 30 });
    expect(made.statusCode, made.body).toBe(201);
    const who = await nameOf(maker.id);

    const list = await maker.client.get('/api/v1/api-tokens');
    expect(list.statusCode, list.body).toBe(200);
    const row = list.json().items.find((i: { id: string }) => i.id === made.json().id);
    expect(row).toMatchObject({ staffId: colleague.id, owner: { id: colleague.id }, createdBy: maker.id, creator: { id: maker.id, name: who.name, email: who.email } });

    const told = await t.mail.waitFor(colleague.email, 'An API token was created in your name');
    expect(told.text).toContain('"quiet helper"');
    expect(told.text).toContain(`by ${who.name} (${who.email})`);
    const alert = await t.mail.waitFor(maker.email, 'API token "quiet helper" created');
    expect(alert.text).toContain(`was created by ${who.name} (${who.email})`);
  });

  it("one made in the maker's own name tells no one else", async () => {
    await maker.stepUp();
    const own = await maker.client.post('/api/v1/api-tokens', { name: 'my own', scopes: ['contacts:read'], expiresInDays: 30 });
    expect(own.statusCode, own.body).toBe(201);
    await t.mail.waitFor(maker.email, 'API token "my own" created');
    expect(t.mail.to(maker.email).filter((m) => m.subject === 'An API token was created in your name')).toEqual([]);
    const row = (await maker.client.get('/api/v1/api-tokens')).json().items.find((i: { id: string }) => i.id === own.json().id);
    expect(row).toMatchObject({ createdBy: maker.id, creator: { id: maker.id } });
  });

  it('a bulk reset started through it names the token, its owner and its maker to the admins', async () => {
    const otherAdmin = await staffWithMFA(t, 'admin');
    await maker.stepUp();
    const made = await maker.client.post('/api/v1/api-tokens', { name: 'incident bot', scopes: ['mfa:bulk'], staffId: otherAdmin.id, expiresInDays: 30 });
    expect(made.statusCode, made.body).toBe(201);
    const started = await t.app.inject({ method: 'POST', url: '/api/v1/mfa/bulk-resets', headers: { authorization: `Bearer ${made.json().token}` }, payload: { filter: { emails: ['nobody-here@example.com', colleague.email] }, reason: 'drill' } });
    expect(started.statusCode, started.body).toBe(202);
    const [owner, by] = [await nameOf(otherAdmin.id), await nameOf(maker.id)];
    const alert = await t.mail.waitFor(maker.email, /^Bulk MFA reset started for/);
    expect(alert.text).toContain(`was started by the API token "incident bot" of ${owner.name} (${owner.email}), made by ${by.name} (${by.email})`);
  });
});
