import { describe, expect, it } from 'vitest';
import type { Locator } from 'playwright-core';
import { signUpContact } from '../helpers/app.js';
import { codeFor, enrollTOTP, nextStep, staffWithMFA } from '../helpers/mfa.js';
import { hasChromium, useWebAppAndBrowser, openPage, screenshot } from './browser.js';
import { signInToConsole, signInWithPassword, unexpected } from './mfa-steps.js';

const SIX_MINUTES = 6 * 60_000;

interface Described {
  /** The `aria-invalid` attribute. */
  invalid: string | null;
  /** The text of the elements `aria-describedby` names, in its order. */
  byIDs: string;
  /** The accessible description Chromium computed (its accessibility tree, through the DevTools protocol). */
  computed: string;
}

/** What a screen reader is told about an element besides its name: whether it is invalid, and its description. */
async function described(l: Locator): Promise<Described> {
  await l.waitFor();
  const { invalid, byIDs } = await l.evaluate((el) => {
    const ids = (el.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
    const text = ids.map((id) => document.getElementById(id)?.textContent?.trim() ?? `<no element #${id}>`).join(' ');
    el.setAttribute('data-described-probe', '');
    return { invalid: el.getAttribute('aria-invalid'), byIDs: text };
  });
  const page = l.page();
  const cdp = await page.context().newCDPSession(page);
  try {
    const found = await cdp.send('Runtime.evaluate', { expression: 'document.querySelector("[data-described-probe]")' });
    const objectId = found.result.objectId!;
    const { node } = await cdp.send('DOM.describeNode', { objectId });
    await cdp.send('Accessibility.enable');
    const { nodes } = await cdp.send('Accessibility.getPartialAXTree', { objectId, fetchRelatives: false });
    const mine = nodes.find((n) => n.backendDOMNodeId === node.backendNodeId);
    return { invalid, byIDs, computed: String(mine?.description?.value ?? '') };
  } finally {
    await cdp.detach();
    await l.evaluate((el) => el.removeAttribute('data-described-probe'));
  }
}

/** The alert's text for one field, without the field's name in front ("Email: must be …" → "must be …"). */
async function alertMessageFor(alert: Locator, label: string): Promise<string> {
  await alert.getByText(label, { exact: false }).waitFor();
  const text = (await alert.innerText()).trim();
  expect(text.startsWith(`${label}: `), text).toBe(true);
  return text.slice(label.length + 2);
}

describe.skipIf(!hasChromium)('forms: an error the API gives for a field is tied to that field', () => {
  const suite = useWebAppAndBrowser();

  it('a bad value marks its input invalid and describes it; a wrong second-step code marks the code field invalid', async () => {
    const { t } = suite.web;
    const { email, client } = await signUpContact(t, 'iris@example.com', 'Iris Invalid');
    const { secret } = await enrollTOTP(t, client, 'contact', 'Phone');
    const w = await openPage(suite.browser, suite.web.baseURL);
    const p = w.page;

    // A wrong authenticator code on the second step: the code field says it is the one in error.
    await signInWithPassword(p, email);
    await p.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    const codeInput = p.getByLabel('6-digit code from your authenticator app');
    expect((await described(codeInput)).invalid).toBeNull();
    nextStep(t);
    const right = codeFor(t, secret);
    await codeInput.fill(right === '000000' ? '111111' : '000000');
    await p.getByRole('button', { name: 'Verify' }).click();
    await p.getByRole('alert').getByText('That code did not work').waitFor();
    expect((await described(codeInput)).invalid).toBe('true');
    await codeInput.fill(right);
    await p.getByRole('button', { name: 'Verify' }).click();
    await p.getByRole('heading', { name: 'My tickets' }).waitFor();

    // A new address that is not one: the address field is invalid and described by the message;
    // the password field, which was fine, is not marked.
    await p.goto('/account');
    const form = p.getByRole('form', { name: 'Change email address' });
    const address = form.getByLabel('New email address');
    const password = form.getByLabel('Password', { exact: true });
    expect(await described(address)).toEqual({ invalid: null, byIDs: '', computed: '' });
    const passwordBefore = await described(password);
    await address.fill('not-an-address');
    await password.fill('whatever it is');
    await form.getByRole('button', { name: 'Change email address' }).click();
    // The alert names the field by the label the person sees, not the API's name for it.
    const message = await alertMessageFor(form.getByRole('alert'), 'New email address');
    await screenshot(p, 'field-error-tied-to-its-field');
    const addressAfter = await described(address);
    expect(addressAfter.invalid).toBe('true');
    expect(addressAfter.byIDs.toLowerCase()).toContain(message.toLowerCase());
    expect(addressAfter.computed.toLowerCase()).toContain(message.toLowerCase());
    // The hint stays in the password's description, and nothing marks it invalid.
    expect(await described(password)).toEqual(passwordBefore);
    expect(passwordBefore.computed).toContain('To confirm it is you.');

    // A blank name: "Name: is required" in the alert, and on the field itself.
    const nameForm = p.getByRole('form', { name: 'Your name' });
    const name = nameForm.getByLabel('Name');
    await name.fill('   ');
    await nameForm.getByRole('button', { name: 'Save name' }).click();
    const nameMessage = await alertMessageFor(nameForm.getByRole('alert'), 'Name');
    const nameAfter = await described(name);
    expect(nameAfter.invalid).toBe('true');
    expect(nameAfter.computed.toLowerCase()).toContain(nameMessage.toLowerCase());

    expect(unexpected(w.problems, [400])).toEqual([]);
    await w.context.close();
  });

  it('an action dialog is described by what it will change; a wrong step-up code marks the code field invalid', async () => {
    const { t } = suite.web;
    const customer = await signUpContact(t, 'dora@example.com', 'Dora Dialog');
    await enrollTOTP(t, customer.client, 'contact', 'Phone');
    const sup = await staffWithMFA(t, 'supervisor');
    const s = await openPage(suite.browser, suite.web.baseURL);
    await signInToConsole(t, s, sup.email, sup.secret);
    const p = s.page;
    await p.goto(`/admin/contacts/${customer.id}`);
    await p.getByRole('region', { name: 'Security' }).getByRole('button', { name: 'Sign out everywhere' }).click();
    const dialog = p.getByRole('dialog', { name: 'Sign out everywhere' });
    const changes = dialog.getByRole('list', { name: 'What will change' });
    await changes.getByRole('listitem').first().waitFor();
    const lines = (await changes.getByRole('listitem').allTextContents()).map((l) => l.trim());
    expect(lines.length).toBeGreaterThan(0);
    const d = await described(dialog);
    for (const line of lines) {
      expect(d.byIDs).toContain(line);
      expect(d.computed).toContain(line);
    }

    // The step-up the action asks for: a wrong code marks its field invalid.
    await dialog.getByLabel('Reason').fill('Caller asked');
    t.clock.advance(SIX_MINUTES);
    await dialog.getByRole('button', { name: 'Sign out everywhere' }).click();
    const stepUp = p.getByRole('dialog', { name: 'Confirm it is you' });
    const code = stepUp.getByLabel('Code from your authenticator app');
    await code.waitFor();
    expect((await described(code)).invalid).toBeNull();
    nextStep(t);
    const right = codeFor(t, sup.secret);
    await code.fill(right === '000000' ? '111111' : '000000');
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    await stepUp.getByRole('alert').waitFor();
    expect((await described(code)).invalid).toBe('true');
    await code.fill(right);
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    await p.getByRole('dialog', { name: /Sign out everywhere: done/ }).waitFor();

    expect(unexpected(s.problems, [400, 403])).toEqual([]);
    await s.context.close();
  });

  it("the customer's step-up forgets a wrong code's mark when switching between an app code and a recovery code", async () => {
    const { t } = suite.web;
    const { email, client } = await signUpContact(t, 'stella@example.com', 'Stella Stepup');
    const { secret } = await enrollTOTP(t, client, 'contact', 'Phone');
    const w = await openPage(suite.browser, suite.web.baseURL);
    const p = w.page;
    await signInWithPassword(p, email);
    await p.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    nextStep(t);
    await p.getByLabel('6-digit code from your authenticator app').fill(codeFor(t, secret));
    await p.getByRole('button', { name: 'Verify' }).click();
    await p.getByRole('heading', { name: 'My tickets' }).waitFor();

    // The sign-in's own step-up lapses after 5 minutes: new recovery codes ask for a factor again.
    await p.goto('/account/security');
    t.clock.advance(SIX_MINUTES);
    await p.getByRole('button', { name: 'Generate new recovery codes' }).click();
    await p.getByRole('button', { name: 'Yes, generate new codes' }).click();
    const stepUp = p.getByRole('dialog', { name: 'Confirm it is you' });
    const appCode = stepUp.getByLabel('Code from your authenticator app');
    nextStep(t);
    const right = codeFor(t, secret);
    await appCode.fill(right === '000000' ? '111111' : '000000');
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    await stepUp.getByRole('alert').waitFor();
    expect((await described(appCode)).invalid).toBe('true');

    // A recovery code has not been tried: its field is not marked, and the app code's alert is gone.
    await stepUp.getByRole('button', { name: 'Use a recovery code instead' }).click();
    const recovery = stepUp.getByLabel('Recovery code');
    const r = await described(recovery);
    expect(r.invalid).toBeNull();
    expect(r.computed).not.toMatch(/did not work/i);
    expect(await stepUp.getByRole('alert').count()).toBe(0);

    // Nor is the app code's field when coming back to it: the next try starts clean.
    await stepUp.getByRole('button', { name: 'Use your authenticator app instead' }).click();
    const back = await described(appCode);
    expect(back.invalid).toBeNull();
    expect(await appCode.inputValue()).toBe('');
    expect(await stepUp.getByRole('alert').count()).toBe(0);
    await appCode.fill(right);
    await stepUp.getByRole('button', { name: 'Confirm' }).click();
    await p.getByRole('button', { name: 'Download as text' }).waitFor();

    expect(unexpected(w.problems, [400, 403])).toEqual([]);
    await w.context.close();
  });
});
