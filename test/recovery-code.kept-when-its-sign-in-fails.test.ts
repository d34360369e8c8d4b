import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, enrollTOTP, nextStep } from './helpers/mfa.js';
import { refuseWrites } from './helpers/refuse-writes.js';

/**
 * A recovery code is spent in the transaction of the session it opens (STYLE.md 5: one
 * conditional write, in the transaction it lets through): when that sign-in fails, the code
 * stays unused and works the next time. Before, the code was spent in a commit of its own
 * before the sign-in's transaction, so a sign-in that failed after it lost the customer one of
 * their ten codes, with an email saying it was used. The same holds for a step-up. The failure
 * is a database trigger that refuses the new session (or the step-up), on the real database.
 */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
});
afterAll(async () => {
  await t.close();
});

/** Makes every write of a session row for `contactID` fail until the returned function is called. */
function refuseSessionWrites(contactID: string): Promise<() => Promise<void>> {
  return refuseWrites(t.ctx, { table: 'sessions', on: ['INSERT', 'UPDATE'], column: 'subject_id', value: contactID, message: 'injected failure' });
}

async function unusedCodes(contactID: string): Promise<number> {
  const rows = await t.ctx.db.selectFrom('recovery_codes').select('id').where('owner_kind', '=', 'contact').where('owner_id', '=', contactID).where('used_at', 'is', null).execute();
  return rows.length;
}

describe('a recovery code is kept when its sign-in fails', () => {
  it('a sign-in whose session cannot be written keeps the code, which then works', async () => {
    const { client, email, id } = await signUpContact(t);
    const { recoveryCodes } = await enrollTOTP(t, client);
    const code = recoveryCodes![0];
    const c = t.client();
    expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
    const restore = await refuseSessionWrites(id);
    const failed = await c.post('/api/v1/auth/mfa/verify', { method: 'recovery_code', code });
    await restore();
    expect(failed.statusCode, failed.body).toBe(500);
    expect(failed.headers['content-type']).toContain('application/problem+json');
    expect(failed.body).not.toContain('injected failure');
    expect(await unusedCodes(id)).toBe(10);
    const used = await t.ctx.db.selectFrom('audit_events').select('id').where('contact_id', '=', id).where('action', '=', 'mfa.recovery_code.used').execute();
    expect(used).toHaveLength(0);
    // The same code, once the database takes sessions again.
    const again = t.client();
    await again.post('/api/v1/auth/login', { email, password: PASSWORD });
    const ok = await again.post('/api/v1/auth/mfa/verify', { method: 'recovery_code', code });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(await unusedCodes(id)).toBe(9);
    await t.mail.waitFor(email, 'A recovery code was used');
    expect(t.mail.to(email).filter((m) => m.subject.includes('A recovery code was used'))).toHaveLength(1);
  });

  it('a step-up whose session cannot be written keeps the code too', async () => {
    const { client, id } = await signUpContact(t);
    const { recoveryCodes, secret } = await enrollTOTP(t, client);
    const code = recoveryCodes![1];
    nextStep(t);
    client.headers['x-csrf-token'] = await client.csrfToken('/api/v1/auth/step-up');
    const restore = await refuseSessionWrites(id);
    const failed = await client.post('/api/v1/auth/step-up', { method: 'recovery_code', code });
    await restore();
    expect(failed.statusCode, failed.body).toBe(500);
    expect(await unusedCodes(id)).toBe(10);
    const ok = await client.post('/api/v1/auth/step-up', { method: 'recovery_code', code });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(await unusedCodes(id)).toBe(9);
    // The step-up renewed the session id: the next request goes with the new session's CSRF
    // token, which its answer carries. An authenticator code works as before.
    client.headers['x-csrf-token'] = ok.json().csrfToken;
    expect((await client.post('/api/v1/auth/step-up', { method: 'totp', code: codeFor(t, secret) })).statusCode).toBe(200);
  });
});
