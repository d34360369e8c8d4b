import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestApp, PASSWORD, type TestApp } from './helpers/app.js';
import { staffWithRole } from './helpers/staff-session.js';

// PRODUCT.md §7: never a 500; sign-up answers an address that has an account exactly like a new
// one. On PostgreSQL (READ COMMITTED) requests that create the same address at the same moment
// can all find it free, and all but one then fail on the unique address: each must get the
// answer it would get one after the other.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const contactsAt = async (email: string) => (await t.ctx.db.selectFrom('contacts').select('id').where('email', '=', email).execute()).length;

describe('the same new address created at once', () => {
  it('sign-up: every request gets the same 201, and there is one account with one confirmation email', async () => {
    const email = `racer-${randomBytes(4).toString('hex')}@example.com`;
    const answers = await Promise.all(Array.from({ length: 12 }, () => t.client().post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Racer' })));
    for (const r of answers) expect(r.statusCode, r.body).toBe(201);
    expect(new Set(answers.map((r) => r.body)).size).toBe(1);
    expect(await contactsAt(email)).toBe(1);
    await t.mail.waitFor(email, 'Confirm your email');
    const confirmations = await t.ctx.db.selectFrom('outbox').select('id').where('recipient', '=', email).where('subject', 'like', 'Confirm your email%').execute();
    expect(confirmations).toHaveLength(1);
  });

  it('staff creating the same contact: one 201, the others 409 conflict in problem+json, one contact', async () => {
    const { client: admin } = await staffWithRole(t, 'admin');
    const email = `made-${randomBytes(4).toString('hex')}@example.com`;
    const answers = await Promise.all(Array.from({ length: 8 }, () => admin.post('/api/v1/contacts', { email, name: 'Made Twice', invite: false })));
    expect(answers.filter((r) => r.statusCode === 201)).toHaveLength(1);
    for (const r of answers.filter((x) => x.statusCode !== 201)) {
      expect(r.statusCode, r.body).toBe(409);
      expect(String(r.headers['content-type'])).toContain('application/problem+json');
      expect(r.json().code).toBe('conflict');
    }
    expect(await contactsAt(email)).toBe(1);
  });
});
