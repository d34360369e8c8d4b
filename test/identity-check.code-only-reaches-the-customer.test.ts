import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { FastifyBaseLogger, LightMyRequestResponse } from 'fastify';
import { CHECK_EMAIL_SUBJECT } from '../src/recovery/identity-checks.js';
import { createTestApp, signUpContact, type TestApp } from './helpers/app.js';
import { staffWithMFA, type StaffWithMFA } from './helpers/mfa.js';

// PRODUCT.md §4.6 and §7: the identity-check code is for the customer to read to the agent. It
// must not reach anyone else — not an admin reading the outbox, not the logs, not the audit
// log — or staff could confirm a check without the customer.

/** Every log line the server wrote, at the most verbose level, unredacted. */
const logLines: string[] = [];

let t: TestApp;
let sup: StaffWithMFA;
let admin: StaffWithMFA;
beforeAll(async () => {
  // The logger is deliberately plainer than production's (trace level, no redaction), so
  // that nothing is hidden from the check.
  const log = pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) }) as unknown as FastifyBaseLogger;
  t = await createTestApp({ log, env: { LOG_LEVEL: 'trace' } });
  sup = await staffWithMFA(t, 'supervisor');
  admin = await staffWithMFA(t, 'admin');
});
afterAll(async () => {
  await t.close();
});

/** The code as a number of its own (not inside a longer run of digits such as a timestamp). */
const standalone = (code: string) => new RegExp(`(?<!\\d)${code}(?!\\d)`);

async function outboxRow(email: string) {
  return t.ctx.db.selectFrom('outbox').selectAll().where('recipient', '=', email).where('subject', 'like', `${CHECK_EMAIL_SUBJECT}%`).executeTakeFirstOrThrow();
}

describe('the identity-check code reaches only the customer', () => {
  it('is in the delivered body (text and HTML) only: never in the subject, an API response, a log line or an audit entry', async () => {
    const { id, email } = await signUpContact(t);
    /** Every response body anyone got while the code existed. */
    const seen: Array<[string, string]> = [];
    const record = async (what: string, call: Promise<LightMyRequestResponse>): Promise<LightMyRequestResponse> => {
      const r = await call;
      expect(r.statusCode, `${what}: ${r.body}`).toBeLessThan(300);
      seen.push([what, r.body]);
      return r;
    };
    const outboxViews = async (when: string) => {
      for (const status of ['failing', 'queued', 'sent']) await record(`GET /outbox?status=${status} ${when}`, admin.client.get(`/api/v1/outbox?status=${status}`));
    };

    // The provider is down: the email waits in the outbox, and its failure is logged.
    t.mail.refuse = true;
    await sup.stepUp();
    const started = await record('start', sup.client.post(`/api/v1/contacts/${id}/identity-checks`, {}));
    const checkId = started.json().id;
    for (let i = 0; (await outboxRow(email)).attempts < 1; i++) {
      if (i > 100) throw new Error('the identity-check email was never tried');
      await new Promise((r) => setTimeout(r, 20));
    }
    const waiting = await outboxRow(email);
    expect(waiting.sent_at).toBeNull();
    await admin.stepUp();
    await outboxViews('before delivery');
    const queued = seen.find(([what]) => what.startsWith('GET /outbox?status=queued'))![1];
    expect(JSON.parse(queued).items.some((m: { subject: string }) => m.subject.startsWith(CHECK_EMAIL_SUBJECT))).toBe(true);
    // The outbox API lists mail by recipient and subject: bodies of unsent mail are not in it.
    for (const m of JSON.parse(queued).items) expect(Object.keys(m).sort()).toEqual(['attempts', 'createdAt', 'id', 'lastError', 'nextAttemptAt', 'sentAt', 'subject', 'to']);
    await record('retry', admin.client.post(`/api/v1/outbox/${waiting.id}/retry`));

    // The provider is back: the customer gets it.
    t.mail.refuse = false;
    t.clock.advance(60_000);
    const mail = await t.mail.waitFor(email, CHECK_EMAIL_SUBJECT);
    const code = /verification code is (\d{6})/.exec(mail.text)![1];
    expect(mail.subject).toBe(CHECK_EMAIL_SUBJECT);
    expect(mail.subject).not.toMatch(/\d/);
    expect(mail.html).toMatch(standalone(code));
    expect(waiting.text_body).toMatch(standalone(code)); // what the delivery loop sent, until it was sent
    for (let i = 0; (await outboxRow(email)).sent_at === null; i++) {
      if (i > 100) throw new Error('the identity-check email was never marked sent');
      await new Promise((r) => setTimeout(r, 20));
    }
    // Once sent, the outbox forgets the bodies.
    expect(await outboxRow(email)).toMatchObject({ text_body: '', html_body: '' });
    await outboxViews('after delivery');

    // The agent enters what the customer reads back (one wrong try first), and uses the check.
    await sup.stepUp();
    const wrong = code === '000000' ? '111111' : '000000';
    const miss = await sup.client.post(`/api/v1/contacts/${id}/identity-checks/${checkId}/confirm`, { code: wrong });
    expect(miss.json().code).toBe('invalid_code');
    seen.push(['wrong code', miss.body]);
    await record('confirm', sup.client.post(`/api/v1/contacts/${id}/identity-checks/${checkId}/confirm`, { code }));
    await record('action', sup.client.post(`/api/v1/contacts/${id}/sessions/revoke`, { reason: 'caller verified', verification: { method: 'email_code', checkId } }));
    await record('security panel', sup.client.get(`/api/v1/contacts/${id}/mfa`));

    // The audit log, through the API, the export and the table itself.
    await record('audit list', admin.client.get(`/api/v1/audit-events?contactId=${id}&limit=200`));
    await record('audit export', admin.client.get(`/api/v1/audit-events/export?format=ndjson&contactId=${id}`));
    const audit = await t.ctx.db.selectFrom('audit_events').selectAll().execute();
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['identity_check.sent', 'identity_check.confirmed']));

    for (const [what, body] of seen) expect(body, what).not.toMatch(standalone(code));
    for (const e of audit) expect(JSON.stringify(e)).not.toMatch(standalone(code));
    // The log saw the whole story, the failed delivery by recipient and subject included, and no code.
    const logged = logLines.join('');
    expect(logged).toContain('email delivery failed; will retry');
    expect(logged).toContain(CHECK_EMAIL_SUBJECT);
    expect(logged).toContain(`/identity-checks/${checkId}/confirm`);
    expect(logged).not.toMatch(standalone(code));
  });
});
