import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, dialectUnderTest, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { enrollTOTP, staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { MailSink } from './helpers/mail-sink.js';
import { holdLock, settled, waitForLockWaits } from './helpers/pg-locks.js';
import type { Client } from './helpers/client.js';

// A sign-in with a temporary access code wrote its audit entry (taking the audit chain's head)
// and only then took the code's row; every transaction that voids a code takes the code's row
// first and appends last: the owner's "it was not me" on a recovery request, the emailed
// "Cancel this change" of a scheduled code, a supervisor issuing a newer code, the issuer's
// deactivation, the revocation of the API token that issued it. On PostgreSQL the two
// deadlocked and one was answered 409 "This raced… try again": a customer's cancel lost while
// the caller it was meant to stop kept an enrollment-only session. The sign-in now takes the
// code right after its new session, before any audit entry, so the two queue, and the outcome
// is one of the serial orders:
// - the sign-in first: it opens its enrollment-only session with the code, and the voider
//   finds the code used (a cancel or a deactivation ends that sign-in; a new code is issued);
// - the voider first: the code is void, and the sign-in is refused as a wrong code (400).
// Each race is forced (PostgreSQL only): the audit head is held until both queue behind it in
// the chosen order. The serial orders themselves are checked on both databases.

const DAY_AND_A_BIT = 24 * 3600_000 + 1000;

let t: TestApp;
/** With a 24-hour waiting period: a supervisor's code is scheduled, with an emailed cancel link. */
let tw: TestApp;
let sup: StaffWithMFA;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp({ runJobs: false });
  tw = await createTestApp({ runJobs: false });
  sup = await staffWithMFA(t, 'supervisor');
  admin = await staffWithMFA(t, 'admin');
  const adminW = await staffWithMFA(tw, 'admin');
  await adminW.stepUp();
  const set = await adminW.client.put('/api/v1/settings/mfa', { waitingPeriodHours: 24, reason: 'social engineering defence' });
  expect(set.statusCode, set.body).toBe(200);
});
afterAll(async () => {
  await t?.close();
  await tw?.close();
});

/** A customer's code, a caller at the second step with it, and what voids it (not sent yet). */
interface Setup {
  app: TestApp;
  customerID: string;
  caller: Client;
  code: string;
  /** The code's row (another may be issued as it is voided). */
  codeID: string;
  voidIt: () => Promise<LightMyRequestResponse>;
}

interface Voider {
  name: string;
  setup: () => Promise<Setup>;
  /** The voider's answer when it succeeds. */
  status: number;
  /** Whether the voider, coming after the sign-in, ends the enrollment-only session the code opened. */
  endsTheSignIn: boolean;
  /** More of the serial order, as the voider's own record of it shows. */
  after?: (s: Setup, signInFirst: boolean) => Promise<void>;
}

/** A customer with an authenticator app, and a caller who passed the password step as them. */
async function customerAndCaller(app: TestApp) {
  const customer = await signUpContact(app);
  await enrollTOTP(app, customer.client);
  const caller = app.client();
  const login = await caller.post('/api/v1/auth/login', { email: customer.email, password: PASSWORD });
  expect(login.json().state, login.body).toBe('mfa_required');
  caller.headers['x-csrf-token'] = await caller.csrfToken('/api/v1/auth/mfa/verify');
  return { customer, caller };
}

/** The id of the customer's one code so far. */
async function onlyCodeID(app: TestApp, customerID: string): Promise<string> {
  const rows = await app.ctx.db.selectFrom('temporary_codes').select('id').where('owner_id', '=', customerID).execute();
  expect(rows).toHaveLength(1);
  return rows[0].id;
}

async function auditDetails(app: TestApp, contactID: string, action: string): Promise<Record<string, unknown>> {
  const row = await app.ctx.db.selectFrom('audit_events').select('details').where('contact_id', '=', contactID).where('action', '=', action).orderBy('seq', 'desc').executeTakeFirstOrThrow();
  return JSON.parse(row.details ?? '{}');
}

const voiders: Voider[] = [
  {
    name: "the customer's cancel of their recovery request (\"it was not me\")",
    status: 200,
    endsTheSignIn: true,
    async setup() {
      const { customer, caller } = await customerAndCaller(t);
      const asked = await caller.post('/api/v1/auth/mfa/recovery-requests', { message: 'I lost my phone' });
      expect(asked.statusCode, asked.body).toBe(201);
      const token = MailSink.token(await t.mail.waitFor(customer.email, 'A request to recover your account was opened'), '/recovery-requests/cancel');
      await sup.stepUp();
      const issued = await sup.client.post(`/api/v1/contacts/${customer.id}/mfa/temporary-codes`, { reason: 'recovery ticket' });
      expect(issued.statusCode, issued.body).toBe(201);
      const owner = t.client();
      owner.headers['x-csrf-token'] = await owner.csrfToken('/api/v1/auth/recovery-requests/cancel');
      return {
        app: t,
        customerID: customer.id,
        caller,
        code: issued.json().code,
        codeID: await onlyCodeID(t, customer.id),
        voidIt: () => owner.post('/api/v1/auth/recovery-requests/cancel', { token }),
      };
    },
    async after(s, signInFirst) {
      expect(await auditDetails(s.app, s.customerID, 'mfa.recovery_request.cancelled')).toMatchObject(
        signInFirst ? { temporaryCodesVoided: 0, enrollmentSessionsEnded: 1 } : { temporaryCodesVoided: 1, enrollmentSessionsEnded: 0 },
      );
    },
  },
  {
    name: 'the emailed cancel of the scheduled code ("Cancel this change")',
    status: 200,
    endsTheSignIn: true,
    async setup() {
      const customer = await signUpContact(tw);
      await enrollTOTP(tw, customer.client);
      // A supervisor of their own: a day later, a session of before has expired.
      const scheduler = await staffWithMFA(tw, 'supervisor');
      await scheduler.stepUp();
      const issued = await scheduler.client.post(`/api/v1/contacts/${customer.id}/mfa/temporary-codes`, { reason: 'caller says locked out' });
      expect(issued.statusCode, issued.body).toBe(202);
      const token = MailSink.token(await tw.mail.waitFor(customer.email, 'Our support team will change your two-step verification'), '/pending-actions/cancel');
      // The waiting period is over (the runner not run): the code works, the link still cancels.
      tw.clock.advance(DAY_AND_A_BIT);
      const caller = tw.client();
      const login = await caller.post('/api/v1/auth/login', { email: customer.email, password: PASSWORD });
      expect(login.json().state, login.body).toBe('mfa_required');
      caller.headers['x-csrf-token'] = await caller.csrfToken('/api/v1/auth/mfa/verify');
      const owner = tw.client();
      owner.headers['x-csrf-token'] = await owner.csrfToken('/api/v1/auth/pending-actions/cancel');
      return {
        app: tw,
        customerID: customer.id,
        caller,
        code: issued.json().code,
        codeID: await onlyCodeID(tw, customer.id),
        voidIt: () => owner.post('/api/v1/auth/pending-actions/cancel', { token }),
      };
    },
    async after(s, signInFirst) {
      const details = await auditDetails(s.app, s.customerID, 'mfa.pending_action.cancelled');
      if (signInFirst) expect(details).toMatchObject({ kind: 'temporary_code', signInEnded: true });
      else expect(details).not.toHaveProperty('signInEnded');
    },
  },
  {
    name: 'a supervisor issuing a new code',
    status: 201,
    endsTheSignIn: false,
    async setup() {
      const { customer, caller } = await customerAndCaller(t);
      await sup.stepUp();
      const issued = await sup.client.post(`/api/v1/contacts/${customer.id}/mfa/temporary-codes`, { reason: 'caller' });
      expect(issued.statusCode, issued.body).toBe(201);
      return {
        app: t,
        customerID: customer.id,
        caller,
        code: issued.json().code,
        codeID: await onlyCodeID(t, customer.id),
        voidIt: () => sup.client.post(`/api/v1/contacts/${customer.id}/mfa/temporary-codes`, { reason: 'caller, again' }),
      };
    },
    async after(s) {
      // Either way the new code is the one that works now.
      const others = await s.app.ctx.db.selectFrom('temporary_codes').select(['used_at', 'voided_at']).where('owner_id', '=', s.customerID).where('id', '!=', s.codeID).execute();
      expect(others).toEqual([{ used_at: null, voided_at: null }]);
    },
  },
  {
    name: 'deactivating the supervisor who issued it',
    status: 200,
    endsTheSignIn: true,
    async setup() {
      const issuer = await staffWithMFA(t, 'supervisor');
      const { customer, caller } = await customerAndCaller(t);
      await issuer.stepUp();
      const issued = await issuer.client.post(`/api/v1/contacts/${customer.id}/mfa/temporary-codes`, { reason: 'caller' });
      expect(issued.statusCode, issued.body).toBe(201);
      await admin.stepUp();
      return {
        app: t,
        customerID: customer.id,
        caller,
        code: issued.json().code,
        codeID: await onlyCodeID(t, customer.id),
        voidIt: () => admin.client.patch(`/api/v1/staff/${issuer.id}`, { active: false }),
      };
    },
  },
  {
    name: 'revoking the API token that issued it',
    status: 204,
    endsTheSignIn: true,
    async setup() {
      await admin.stepUp();
      const made = await admin.client.post('/api/v1/api-tokens', { name: 'help desk integration', scopes: ['mfa:manage', 'contacts:read'], staffId: sup.id });
      expect(made.statusCode, made.body).toBe(201);
      const { id, token } = made.json();
      const { customer, caller } = await customerAndCaller(t);
      const issued = await t.app.inject({
        method: 'POST',
        url: `/api/v1/contacts/${customer.id}/mfa/temporary-codes`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ reason: 'caller' }),
      });
      expect(issued.statusCode, issued.body).toBe(201);
      await admin.stepUp();
      return {
        app: t,
        customerID: customer.id,
        caller,
        code: issued.json().code,
        codeID: await onlyCodeID(t, customer.id),
        voidIt: () => admin.client.delete(`/api/v1/api-tokens/${id}`),
      };
    },
  },
];

const signIn = (s: Setup) => s.caller.post('/api/v1/auth/mfa/verify', { method: 'temporary_code', code: s.code });

/** The code the caller holds, and the customer's enrollment-only sessions. */
async function state(s: Setup) {
  const code = await s.app.ctx.db.selectFrom('temporary_codes').select(['used_at', 'voided_at']).where('id', '=', s.codeID).executeTakeFirstOrThrow();
  const enrollment = await s.app.ctx.db.selectFrom('sessions').select('id_hash').where('subject_id', '=', s.customerID).where('level', '=', 'enrollment').execute();
  return { used: code.used_at !== null, voided: code.voided_at !== null, enrollmentSessions: enrollment.length };
}

/** Asserts the outcome of one serial order: the sign-in's and the voider's answers, and what they left. */
async function expectSerialOutcome(v: Voider, s: Setup, signInFirst: boolean, verify: LightMyRequestResponse, voided: LightMyRequestResponse) {
  expect(voided.statusCode, voided.body).toBe(v.status);
  if (signInFirst) {
    expect(verify.statusCode, verify.body).toBe(200);
    expect(verify.json().state).toBe('enrollment_required');
    expect(await state(s)).toEqual({ used: true, voided: false, enrollmentSessions: v.endsTheSignIn ? 0 : 1 });
  } else {
    // Refused as a wrong code, cleanly: the sign-in is still at its second step.
    expect(verify.statusCode, verify.body).toBe(400);
    expect(verify.json().code).toBe('invalid_code');
    expect(await state(s)).toEqual({ used: false, voided: true, enrollmentSessions: 0 });
    expect((await s.caller.get('/api/v1/auth/session')).json().state).toBe('mfa_required');
  }
  await v.after?.(s, signInFirst);
}

/**
 * Sends `first`, waits until it queues behind the held audit head, sends `second` and waits
 * until it queues too (behind the head, or behind the first's rows), then lets them go.
 */
async function forced(app: TestApp, first: () => Promise<LightMyRequestResponse>, second: () => Promise<LightMyRequestResponse>) {
  const head = holdLock(app, (trx) => sql`select seq from audit_head where id = 1 for update`.execute(trx));
  await head.held;
  let a!: ReturnType<typeof settled<LightMyRequestResponse>>;
  let b!: ReturnType<typeof settled<LightMyRequestResponse>>;
  try {
    a = settled(first());
    await waitForLockWaits(app, 1);
    b = settled(second());
    await waitForLockWaits(app, 2);
  } finally {
    await head.release();
  }
  const [ra, rb] = await Promise.all([a, b]);
  // Neither side throws, and neither is answered 409 or 500 (a deadlock's loser was a 409).
  if (!ra.ok || !rb.ok) throw new Error(`a request failed: ${JSON.stringify([ra, rb])}`);
  for (const r of [ra.value, rb.value]) expect([409, 500], r.body).not.toContain(r.statusCode);
  return [ra.value, rb.value] as const;
}

describe.skipIf(dialectUnderTest !== 'postgres')('a temporary-code sign-in racing what voids its code queues, never deadlocks', () => {
  for (const v of voiders) {
    it(`${v.name}, queued behind the sign-in: the sign-in opens its session, the voider finds the code used`, async () => {
      const s = await v.setup();
      const [verify, voided] = await forced(s.app, () => signIn(s), s.voidIt);
      await expectSerialOutcome(v, s, true, verify, voided);
    });

    it(`${v.name}, ahead of the sign-in: the code is void, the sign-in is refused cleanly`, async () => {
      const s = await v.setup();
      const [voided, verify] = await forced(s.app, s.voidIt, () => signIn(s));
      await expectSerialOutcome(v, s, false, verify, voided);
    });
  }
});

describe('the serial orders those races must end in', () => {
  for (const v of voiders) {
    it(`${v.name}: after the sign-in, and before it`, async () => {
      const a = await v.setup();
      const verifyA = await signIn(a);
      const voidedA = await a.voidIt();
      await expectSerialOutcome(v, a, true, verifyA, voidedA);

      const b = await v.setup();
      const voidedB = await b.voidIt();
      const verifyB = await signIn(b);
      await expectSerialOutcome(v, b, false, verifyB, voidedB);
    });
  }
});
