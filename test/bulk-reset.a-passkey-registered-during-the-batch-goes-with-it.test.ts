import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BulkRunner } from '../src/recovery/bulk.js';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import type { Client } from './helpers/client.js';
import { codeFor, enrollTOTP, nextStep } from './helpers/mfa.js';
import { SoftKey } from './helpers/soft-key.js';
import { staffWithRole } from './helpers/staff-session.js';

/**
 * PRODUCT.md §4 (bulk reset: every factor of every matched contact goes) and §7 (a serial
 * order). A batch takes no per-person lock; its delete of the factors waited for a passkey
 * registration holding the contact's existing factor, but at READ COMMITTED rechecked only the
 * rows it had seen, so the passkey committed meanwhile survived a reset the audit log recorded
 * as complete (PostgreSQL, 12 of 15 rounds in review). Either serial order leaves no factor:
 * registered first, the batch removes it; after, the registration finds its session ended.
 */
const ROUNDS = 8;

let t: TestApp;
let admin: Client;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  ({ client: admin } = await staffWithRole(t, 'admin'));
});
afterAll(async () => {
  await t.close();
});

describe('a passkey registered while a bulk reset batch runs over its owner', () => {
  it(`${ROUNDS} rounds: no factor is left, and setup is required`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const c = await signUpContact(t);
      const phone = await enrollTOTP(t, c.client, 'contact', 'Phone');
      nextStep(t);
      const up = await c.client.post('/api/v1/auth/step-up', { method: 'totp', code: codeFor(t, phone.secret) });
      expect(up.statusCode, up.body).toBe(200);
      c.client.headers['x-csrf-token'] = up.json().csrfToken;
      const key = new SoftKey(t.config.publicURL);
      const options = await c.client.post('/api/v1/me/mfa/webauthn/options');
      expect(options.statusCode, options.body).toBe(200);
      const job = await admin.post('/api/v1/mfa/bulk-resets', { filter: { emails: [c.email] }, reason: `incident drill ${round}` });
      expect(job.statusCode, job.body).toBe(202);
      const response = key.create(options.json());
      const batch = new Promise((r) => setTimeout(r, round % 4)).then(() => new BulkRunner(t.ctx).runOnce());
      const [, registered] = await Promise.all([batch, c.client.post('/api/v1/me/mfa/webauthn', { response, name: `Key ${round}` })]);
      expect([201, 401, 409], registered.body).toContain(registered.statusCode);
      const factors = await t.ctx.db.selectFrom('mfa_factors').select('type').where('owner_id', '=', c.id).where('status', '=', 'active').execute();
      const state = await t.ctx.db.selectFrom('mfa_accounts').select('setup_required').where('owner_kind', '=', 'contact').where('owner_id', '=', c.id).executeTakeFirst();
      expect({ round, factors: factors.map((f) => f.type), setupRequired: state?.setup_required }).toEqual({ round, factors: [], setupRequired: 1 });
    }
  });
});
