import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSMTPTransport } from '../src/notify/transport.js';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';
import { countRows } from './helpers/staff-session.js';

/**
 * PRODUCT.md §4 (no staff member acts on their own account) and §7 (bad input changes nothing).
 * Mail libraries read a recipient as an address list, so `x<sam@corp.example>` was delivered to
 * sam@corp.example while Portico stored and compared it as another address: a supervisor could
 * sign up as that "customer", confirm it from their own inbox, and run MFA actions on it.
 * Every place that takes an address now takes a plain `local@domain` only, and the mailer never
 * parses a stored recipient as a list.
 */
let t: TestApp;
let admin: StaffWithMFA;
beforeAll(async () => {
  t = await createTestApp();
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

const target = 'sam@corp.example';
const disguised = [`x<${target}>`, `"Sam" <${target}>`, `a@x.example, ${target}`, `team: ${target};`, `${target} (me)`, `a@x.example;${target}`, `a\\@x.example@corp.example`];

describe('an address with list syntax never reaches another mailbox', () => {
  it('is refused with 400 at sign-up, email change, contact creation and staff invitation, and changes nothing', async () => {
    const contactsBefore = await countRows(t, 'contacts');
    const staffBefore = await countRows(t, 'staff');
    const customer = await signUpContact(t);
    await admin.stepUp();
    for (const email of disguised) {
      const answers = [
        await t.client().post('/api/v1/auth/signup', { email, password: 'long enough password', name: 'X' }),
        await customer.client.post('/api/v1/me/email', { email, password: 'correct horse battery' }),
        await admin.client.post('/api/v1/contacts', { email, name: 'X' }),
        await admin.client.post('/api/v1/staff', { email, name: 'X', role: 'agent' }),
      ];
      for (const r of answers) {
        expect({ email, status: r.statusCode }, r.body).toEqual({ email, status: 400 });
        expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(r.json().code).toBe('invalid_input');
      }
    }
    expect(await countRows(t, 'contacts')).toBe(contactsBefore + 1);
    expect(await countRows(t, 'staff')).toBe(staffBefore);
    await new Promise((r) => setTimeout(r, 300));
    expect(t.mail.messages.filter((m) => m.recipients.includes(target))).toEqual([]);
  });

  it('still takes plain addresses with a tag, an apostrophe or a dotted local part', async () => {
    for (const email of ["o'brien+help@example.com", 'first.last@sub.example.co.uk']) {
      const r = await t.client().post('/api/v1/auth/signup', { email, password: 'long enough password', name: 'Plain' });
      expect({ email, status: r.statusCode }, r.body).toEqual({ email, status: 201 });
      const mail = await t.mail.waitFor(email);
      expect(mail.recipients).toEqual([email]);
    }
  });

  it('sends an address stored before the rule to nobody but itself (the mail server refuses it)', async () => {
    const transport = createSMTPTransport(`smtp://127.0.0.1:${t.mail.port}`, t.config.mailFrom);
    try {
      for (const to of [`x<${target}>`, `a@x.example, ${target}`]) {
        await expect(transport.send({ to, subject: 'Your sign-in code', text: 'code', html: '<p>code</p>' }, 'legacy')).rejects.toThrow();
      }
    } finally {
      transport.close();
    }
    expect(t.mail.messages.filter((m) => m.recipients.includes(target))).toEqual([]);
  });
});
