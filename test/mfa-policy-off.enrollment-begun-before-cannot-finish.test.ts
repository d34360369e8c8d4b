import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { codeFor, secretFromBase32, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// PRODUCT.md §3: under `off` enrollment is hidden. An authenticator app whose enrollment began
// while the policy allowed it cannot be finished once the admin has turned MFA off: no factor
// becomes active, no recovery codes are issued, nothing is emailed. Turned back on, it can.

let t: TestApp;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

async function setPolicy(policy: 'off' | 'optional') {
  await admin.stepUp();
  const r = await admin.client.put('/api/v1/settings/mfa', { policy, reason: 'test' });
  expect(r.statusCode, r.body).toBe(200);
}

describe('an enrollment begun before MFA was turned off', () => {
  it('cannot be finished under off, changes nothing, and finishes once MFA is back on', async () => {
    const { client, id } = await signUpContact(t);
    const begun = (await client.post('/api/v1/me/mfa/totp')).json();
    const secret = secretFromBase32(begun.secret);
    await setPolicy('off');
    try {
      const r = await client.post(`/api/v1/me/mfa/totp/${begun.factorId}/confirm`, { code: codeFor(t, secret) });
      expect(r.statusCode).toBe(403);
      expect(String(r.headers['content-type'])).toContain('application/problem+json');
      expect(r.json().code).toBe('forbidden');
      const active = await t.ctx.db.selectFrom('mfa_factors').select('id').where('owner_id', '=', id).where('status', '=', 'active').execute();
      expect(active).toHaveLength(0);
      expect(await t.ctx.db.selectFrom('recovery_codes').select('owner_id').where('owner_id', '=', id).execute()).toHaveLength(0);
    } finally {
      await setPolicy('optional');
    }
    const ok = await client.post(`/api/v1/me/mfa/totp/${begun.factorId}/confirm`, { code: codeFor(t, secret) });
    expect(ok.statusCode, ok.body).toBe(200);
  });
});
