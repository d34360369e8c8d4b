import * as OTPAuth from 'otpauth';
import { expect } from 'vitest';
import { totpCode } from '../../src/mfa/totp.js';
import type { Client } from './client.js';
import type { TestApp } from './app.js';

export function secretFromBase32(b32: string): Buffer {
  return Buffer.from(OTPAuth.Secret.fromBase32(b32).bytes);
}

/** The current code of an authenticator app holding `secret`, by the test's clock. */
export function codeFor(t: TestApp, secret: Buffer, offsetSteps = 0): string {
  return totpCode(secret, new Date(t.clock.now().getTime() + offsetSteps * 30_000));
}

export interface EnrolledTOTP {
  factorId: string;
  secret: Buffer;
  recoveryCodes: string[] | undefined;
}

/** Enrolls an authenticator app through the API as its owner would. */
export async function enrollTOTP(t: TestApp, client: Client, kind: 'contact' | 'staff' = 'contact', name = 'Phone'): Promise<EnrolledTOTP> {
  const me = kind === 'contact' ? '/api/v1/me' : '/api/v1/staff-me';
  const start = await client.post(`${me}/mfa/totp`);
  expect(start.statusCode, start.body).toBe(201);
  const { factorId, secret } = start.json();
  const bytes = secretFromBase32(secret);
  // Use the next step so the confirmation code is not later replayed by a sign-in in the same step.
  const confirm = await client.post(`${me}/mfa/totp/${factorId}/confirm`, { code: codeFor(t, bytes), name });
  expect(confirm.statusCode, confirm.body).toBe(200);
  return { factorId, secret: bytes, recoveryCodes: confirm.json().recoveryCodes };
}

/** Codes the server judged wrong for a customer: each one is an `mfa.challenge.failed` audit entry. */
export async function judgedWrongCodes(t: TestApp, contactID: string): Promise<number> {
  const r = await t.ctx.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('contact_id', '=', contactID).where('action', '=', 'mfa.challenge.failed').executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Moves the clock to the next TOTP step, so a fresh code is not a replay of the last one. */
export function nextStep(t: TestApp): void {
  t.clock.advance(30_000);
}

export interface StaffWithMFA {
  client: Client;
  id: string;
  email: string;
  secret: Buffer;
  /** Passes a fresh step-up (moves the clock one TOTP step so the code is new). */
  stepUp(): Promise<void>;
}

/** A staff member signed in with a password and an enrolled authenticator app. */
export async function staffWithMFA(t: TestApp, role: 'agent' | 'supervisor' | 'admin'): Promise<StaffWithMFA> {
  const { createStaff, signInStaff } = await import('./app.js');
  const account = await createStaff(t, role);
  const client = await signInStaff(t, account.email);
  const start = await client.post('/api/v1/staff-me/mfa/totp');
  expect(start.statusCode, start.body).toBe(201);
  const secret = secretFromBase32(start.json().secret);
  const ok = await client.post(`/api/v1/staff-me/mfa/totp/${start.json().factorId}/confirm`, { code: codeFor(t, secret) });
  expect(ok.statusCode, ok.body).toBe(200);
  return {
    client,
    id: account.id,
    email: account.email,
    secret,
    async stepUp() {
      nextStep(t);
      const r = await client.post('/api/v1/staff-auth/step-up', { method: 'totp', code: codeFor(t, secret) });
      expect(r.statusCode, r.body).toBe(200);
      // The step-up renewed the session id; a CSRF token a test pinned was the old session's.
      // Like the console, keep the one the answer carries.
      if ('x-csrf-token' in client.headers) client.headers['x-csrf-token'] = r.json().csrfToken;
    },
  };
}
