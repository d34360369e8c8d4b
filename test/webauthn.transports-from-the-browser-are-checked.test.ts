import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, signUpContact, type TestApp } from './helpers/app.js';
import { SoftKey } from './helpers/soft-key.js';

// A passkey's registration carries the browser's list of transports ("usb", "internal", …),
// which the server hands back in every sign-in's options as a hint. The library copies it
// unchecked, so a string, an object or 15,000 entries were stored as sent (90 KB in a row) and
// echoed back, where a browser may refuse the options and with them the owner's passkey. Only
// the known names are kept, each once.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const SENT: Array<[unknown, string[]]> = [
  ['usb', []],
  [42, []],
  [{ x: 1 }, []],
  [[{ a: 1 }], []],
  [['usb', 'usb', 'nfc', 'made-up', 7, null], ['usb', 'nfc']],
  [Array.from({ length: 15_000 }, (_, i) => (i % 2 ? 'internal' : 'hybrid')), ['hybrid', 'internal']],
];

describe('the transports a browser sends with a passkey', () => {
  it('are kept only as known names, each once, and the passkey still signs in', async () => {
    for (const [sent, kept] of SENT) {
      const { client, email, id } = await signUpContact(t);
      const key = new SoftKey(t.config.publicURL);
      const options = await client.post('/api/v1/me/mfa/webauthn/options');
      const response = key.create(options.json()) as { response: Record<string, unknown> };
      response.response.transports = sent;
      const r = await client.post('/api/v1/me/mfa/webauthn', { response });
      expect(r.statusCode, r.body).toBe(201);
      const row = await t.ctx.db.selectFrom('mfa_factors').select('transports').where('owner_id', '=', id).where('type', '=', 'webauthn').executeTakeFirstOrThrow();
      expect(JSON.parse(row.transports ?? '[]')).toEqual(kept);

      await client.post('/api/v1/auth/logout');
      const c = t.client();
      expect((await c.post('/api/v1/auth/login', { email, password: PASSWORD })).json().state).toBe('mfa_required');
      const signIn = (await c.post('/api/v1/auth/mfa/webauthn/options')).json();
      expect(signIn.allowCredentials).toHaveLength(1);
      expect(signIn.allowCredentials[0].transports ?? []).toEqual(kept);
      const done = await c.post('/api/v1/auth/mfa/verify', { method: 'webauthn', response: key.get(signIn) });
      expect(done.statusCode, done.body).toBe(200);
    }
  });
});
