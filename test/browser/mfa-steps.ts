// Steps the MFA browser tests share: signing in and out through the UI, reading the
// authenticator setup key off the page, as a person would.
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { PASSWORD, type TestApp } from '../helpers/app.js';
import { codeFor, nextStep, secretFromBase32 } from '../helpers/mfa.js';
import type { WatchedPage } from './browser.js';

/** Password step of the help center's (or console's) sign-in form. */
export async function signInWithPassword(p: Page, email: string, path = '/sign-in'): Promise<void> {
  await p.goto(path);
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await p.getByRole('button', { name: 'Sign in' }).click();
}

/** Signs out from the account page. */
export async function signOut(p: Page, accountPath = '/account'): Promise<void> {
  await p.goto(accountPath);
  // The account page's own button (the header has one too).
  await p.getByRole('main').getByRole('button', { name: 'Sign out', exact: true }).click();
  await p.waitForURL((u) => u.pathname.endsWith('/sign-in'));
}

/**
 * Starts adding an authenticator app, reads the setup key shown as text (grouped for reading),
 * checks that the QR code image really loaded under the CSP, and confirms with the current
 * code computed from the key. Returns the secret's bytes.
 */
export async function addAuthenticatorApp(t: TestApp, p: Page, name: string, o: { alreadyStarted?: boolean } = {}): Promise<Buffer> {
  if (!o.alreadyStarted) await p.getByRole('button', { name: 'Add an authenticator app' }).click();
  const form = p.getByRole('form', { name: 'Add an authenticator app' });
  const qr = form.getByRole('img', { name: /QR code/ });
  await qr.waitFor();
  expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  const shown = (await form.getByLabel('Setup key').textContent()) ?? '';
  expect(shown).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
  const secret = secretFromBase32(shown.replace(/\s+/g, ''));
  await form.getByLabel('6-digit code from the app').fill(codeFor(t, secret));
  await form.getByLabel('Name (optional)').fill(name);
  await form.getByRole('button', { name: 'Confirm and turn on' }).click();
  return secret;
}

/** Reads the recovery codes shown once, then acknowledges them. */
export async function saveRecoveryCodes(p: Page, continueLabel: string): Promise<string[]> {
  const list = p.getByRole('list', { name: 'Recovery codes' });
  await list.waitFor();
  const codes = (await list.getByRole('listitem').allTextContents()).map((c) => c.trim());
  expect(codes).toHaveLength(10);
  const done = p.getByRole('button', { name: continueLabel });
  expect(await done.isDisabled()).toBe(true);
  await p.getByLabel('I have saved these codes').check();
  await done.click();
  return codes;
}

/** Console messages that are expected: the browser logs every 4xx answer it was given. */
export function unexpected(problems: string[], statuses: number[]): string[] {
  return problems.filter((m) => !statuses.some((s) => m.includes(`status of ${s}`)));
}

/** Signs a customer in through the help center's pages: password, then the authenticator code, until they are in. */
export async function signInToHelpCenter(t: TestApp, p: Page, email: string, secret: Buffer): Promise<void> {
  await signInWithPassword(p, email);
  nextStep(t);
  await p.getByLabel('6-digit code from your authenticator app').fill(codeFor(t, secret));
  await p.getByRole('button', { name: 'Verify' }).click();
  await p.waitForURL((u) => !u.pathname.includes('sign-in'));
}

/** Signs a staff member in through the console's pages: password, then (with a secret) the authenticator code. */
export async function signInToConsole(t: TestApp, w: WatchedPage, email: string, secret?: Buffer): Promise<void> {
  const p = w.page;
  await p.goto('/admin/sign-in');
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await p.getByRole('button', { name: 'Sign in' }).click();
  if (secret) {
    nextStep(t);
    await p.getByLabel('6-digit code from your authenticator app').fill(codeFor(t, secret));
    await p.getByRole('button', { name: 'Verify' }).click();
  }
  await p.getByRole('heading', { name: 'Tickets' }).waitFor();
}
