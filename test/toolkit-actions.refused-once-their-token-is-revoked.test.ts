import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, HOUR } from '../src/clock.js';
import { AppError } from '../src/http/errors.js';
import { resolveAPIToken } from '../src/sessions/api-tokens.js';
import { getAccount } from '../src/accounts/service.js';
import { resetMFA, unlockAccount, type StaffAction } from '../src/recovery/service.js';
import { runDuePendingActions } from '../src/recovery/pending-actions.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { seedEnrolledContacts } from './helpers/seed.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

/**
 * PRODUCT.md §4 and §7 (a serial order): a toolkit action checks its token when the request
 * starts, outside the action's transaction. A token revoked (or whose maker lost the rights)
 * between that check and the commit still committed its action: a reset scheduled at that
 * moment was inserted after the revocation had cancelled what the token scheduled, and the
 * waiting period then carried it out. The action's transaction now re-reads the token, held,
 * under the person's lock: the revocation comes wholly before the action (refused, a clean
 * 4xx) or after it (and cancels what it scheduled).
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

async function makeToken(maker: StaffWithMFA, owner: { id: string }, scopes: string[], expiresInDays = 90): Promise<{ id: string; token: string }> {
  await maker.stepUp();
  const r = await maker.client.post('/api/v1/api-tokens', { name: 'integration', scopes, staffId: owner.id, expiresInDays });
  expect(r.statusCode, r.body).toBe(201);
  return r.json();
}

/** The action as the toolkit's routes build it once the token has passed the guard. */
async function actionOf(token: string, targetKind: 'contact' | 'staff', targetID: string): Promise<StaffAction> {
  const found = await resolveAPIToken(t.ctx, token);
  expect(found).not.toBeNull();
  return {
    actor: { type: 'token', id: found!.id },
    staffID: found!.account.id,
    actorLabel: 'our support team',
    target: (await getAccount(t.ctx, targetKind, targetID))!,
    reason: 'integration request',
    verification: { method: 'none' },
    meta: { ip: null, userAgent: null },
  };
}

async function refused(p: Promise<unknown>, code: 'unauthenticated' | 'forbidden') {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
}

describe('a toolkit action by an API token', () => {
  it('revoked after its request was let in commits nothing', async () => {
    const sup = await staffWithMFA(t, 'supervisor');
    const { id, token } = await makeToken(admin, sup, ['mfa:manage']);
    const [contact] = await seedEnrolledContacts(t.ctx, 1);
    const action = await actionOf(token, 'contact', contact);
    await admin.stepUp();
    expect((await admin.client.delete(`/api/v1/api-tokens/${id}`)).statusCode).toBe(204);
    await refused(resetMFA(t.ctx, action, true), 'unauthenticated');
    const factors = await t.ctx.db.selectFrom('mfa_factors').select('id').where('owner_id', '=', contact).where('status', '=', 'active').execute();
    expect(factors).toHaveLength(1);
  });

  it('expired after its request was let in commits nothing', async () => {
    const sup = await staffWithMFA(t, 'supervisor');
    const { token } = await makeToken(admin, sup, ['mfa:manage'], 1);
    const [contact] = await seedEnrolledContacts(t.ctx, 1);
    const action = await actionOf(token, 'contact', contact);
    t.clock.advance(DAY);
    await refused(resetMFA(t.ctx, action, true), 'unauthenticated');
  });

  it('whose maker was moved from admin to supervisor after its request was let in may no longer act on staff', async () => {
    // A new admin: the clock moved a day, past the first one's session.
    admin = await staffWithMFA(t, 'admin');
    const maker = await staffWithMFA(t, 'admin');
    const owner = await staffWithMFA(t, 'admin');
    const colleague = await staffWithMFA(t, 'agent');
    const { token } = await makeToken(maker, owner, ['staff:manage']);
    const action = await actionOf(token, 'staff', colleague.id);
    await admin.stepUp();
    expect((await admin.client.patch(`/api/v1/staff/${maker.id}`, { role: 'supervisor' })).statusCode).toBe(200);
    await refused(unlockAccount(t.ctx, action), 'forbidden');
    // The owner's own standing is untouched: the same action by a token the owner made works.
    const { token: own } = await makeToken(owner, owner, ['staff:manage']);
    await expect(unlockAccount(t.ctx, await actionOf(own, 'staff', colleague.id))).resolves.toEqual({ unlocked: false });
  });

  it('racing its revocation is either cancelled or refused: nothing stays pending, no one is reset', async () => {
    admin = await staffWithMFA(t, 'admin');
    await admin.stepUp();
    expect((await admin.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'race test' })).statusCode).toBe(200);
    const rounds = 8;
    const contacts = await seedEnrolledContacts(t.ctx, rounds);
    const sup = await staffWithMFA(t, 'supervisor');
    for (const [round, contactID] of contacts.entries()) {
      const { id, token } = await makeToken(admin, sup, ['mfa:manage']);
      const [reset, off] = await Promise.all([
        t.app.inject({ method: 'POST', url: `/api/v1/contacts/${contactID}/mfa/reset`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify({ reason: `round ${round}` }) }),
        admin.client.delete(`/api/v1/api-tokens/${id}`),
      ]);
      expect(off.statusCode, off.body).toBe(204);
      expect([202, 401], reset.body).toContain(reset.statusCode);
      if (reset.statusCode !== 202) expect(String(reset.headers['content-type'])).toContain('application/problem+json');
      const pending = await t.ctx.db.selectFrom('pending_actions').select('id').where('owner_id', '=', contactID).where('status', '=', 'pending').execute();
      expect({ round, pending }).toEqual({ round, pending: [] });
    }
    t.clock.advance(25 * HOUR);
    await runDuePendingActions(t.ctx);
    const factors = await t.ctx.db.selectFrom('mfa_factors').select('owner_id').where('owner_kind', '=', 'contact').where('owner_id', 'in', contacts).where('status', '=', 'active').execute();
    expect(new Set(factors.map((f) => f.owner_id)).size).toBe(rounds);
  });
});
