import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';

// Asking again for a password-reset or email-change link voids the one sent before: one live
// link at a time, so an old email lying in a mailbox (or forwarded, or read over a shoulder)
// opens nothing. Requests made at the same instant must end the same way as requests made one
// after the other: one live link, not one per request.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { RATE_LIMIT_EMAILS_PER_ADDRESS_PER_HOUR: '1000' } });
});
afterAll(async () => {
  await t.close();
});

async function liveLinks(purpose: string, contactID: string): Promise<number> {
  const rows = await t.ctx.db
    .selectFrom('email_tokens')
    .select('token_hash')
    .where('purpose', '=', purpose as never)
    .where('subject_kind', '=', 'contact')
    .where('subject_id', '=', contactID)
    .where('used_at', 'is', null)
    .execute();
  return rows.length;
}

describe('email links requested at once leave one live link', () => {
  it('10 password-reset requests at once, 5 times over: one live reset link each time', async () => {
    for (let round = 0; round < 5; round++) {
      const { email, id } = await signUpContact(t);
      const clients = Array.from({ length: 10 }, () => t.client());
      const answers = await Promise.all(clients.map((c) => c.post('/api/v1/auth/password/forgot', { email })));
      expect(answers.map((r) => r.statusCode)).toEqual(answers.map(() => 202));
      // The request's work runs after its answer (an unknown address must take as long): wait
      // for the ten emails, each sent from its request's own committed transaction.
      const deadline = Date.now() + 10_000;
      while (t.mail.to(email).filter((m) => m.subject === 'Reset your password').length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(t.mail.to(email).filter((m) => m.subject === 'Reset your password')).toHaveLength(10);
      expect(await liveLinks('password_reset', id)).toBe(1);
    }
  });

  it('5 email-change requests at once from one session, 5 times over: one live confirmation link each time', async () => {
    for (let round = 0; round < 5; round++) {
      const { client, id } = await signUpContact(t);
      const answers = await Promise.all(
        Array.from({ length: 5 }, (_, i) => client.post('/api/v1/me/email', { email: `moved-${round}-${i}-${id.slice(0, 6)}@example.com`, password: PASSWORD })),
      );
      expect(answers.map((r) => r.statusCode)).toEqual(answers.map(() => 202));
      expect(await liveLinks('email_change', id)).toBe(1);
    }
  });
});
