import { expect } from 'vitest';
import { PASSWORD, signUpContact, type TestApp } from './app.js';
import type { Client } from './client.js';
import { codeFor, enrollTOTP, nextStep, staffWithMFA } from './mfa.js';

/** A customer with an authenticator app, signed out. */
export async function signedOutCustomer(t: TestApp): Promise<{ email: string; id: string; secret: Buffer }> {
  const { client, email, id } = await signUpContact(t);
  const { secret } = await enrollTOTP(t, client);
  await client.post('/api/v1/auth/logout');
  return { email, id, secret };
}

/** A new browser that passes the second step asking to be remembered, then signs out. */
export async function rememberedBrowser(t: TestApp, c: { email: string; secret: Buffer }): Promise<{ browser: Client; response: Awaited<ReturnType<Client['post']>> }> {
  nextStep(t);
  const b = t.client();
  expect((await b.post('/api/v1/auth/login', { email: c.email, password: PASSWORD })).json().state).toBe('mfa_required');
  const r = await b.post('/api/v1/auth/mfa/verify', { method: 'totp', code: codeFor(t, c.secret), rememberDevice: true });
  expect(r.statusCode, r.body).toBe(200);
  expect(b.cookies.get('portico_device')).toBeTruthy();
  await b.post('/api/v1/auth/logout');
  return { browser: b, response: r };
}

/** The state this browser's password sign-in lands in (signed out again if it is in). */
export async function loginState(b: Client, email: string): Promise<string> {
  const r = await b.post('/api/v1/auth/login', { email, password: PASSWORD });
  expect(r.statusCode, r.body).toBe(200);
  const state = r.json().state as string;
  if (state === 'authenticated') await b.post('/api/v1/auth/logout');
  return state;
}

/** Changes the MFA settings as a new admin (the tests' clock moves days on, past a staff session's life). */
export async function changeMFASettings(t: TestApp, change: { rememberDeviceDays?: number; policy?: 'off' | 'optional' | 'required' }): Promise<void> {
  const admin = await staffWithMFA(t, 'admin');
  await admin.stepUp();
  const r = await admin.client.put('/api/v1/settings/mfa', { ...change, reason: 'test' });
  expect(r.statusCode, r.body).toBe(200);
}
