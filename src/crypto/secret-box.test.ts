import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createSecretBox } from './secret-box.js';

describe('createSecretBox', () => {
  const key = randomBytes(32);

  it('round-trips a secret, with a fresh IV each time', () => {
    const box = createSecretBox([key]);
    const secret = randomBytes(20);
    const a = box.seal(secret, 'fa_1');
    const b = box.seal(secret, 'fa_1');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(box.open(a, 'fa_1').equals(secret)).toBe(true);
    expect(box.open(b, 'fa_1').equals(secret)).toBe(true);
  });

  it('detects a changed ciphertext, tag or IV, and a different associated value', () => {
    const box = createSecretBox([key]);
    const sealed = box.seal(Buffer.from('JBSWY3DPEHPK3PXP'), 'fa_1');
    const [v, id, iv, body] = sealed.split('.');
    const flip = (s: string, i: number) => {
      const b = Buffer.from(s, 'base64url');
      b[i] ^= 1;
      return b.toString('base64url');
    };
    expect(() => box.open([v, id, iv, flip(body, 0)].join('.'), 'fa_1')).toThrow();
    expect(() => box.open([v, id, iv, flip(body, Buffer.from(body, 'base64url').length - 1)].join('.'), 'fa_1')).toThrow();
    expect(() => box.open([v, id, flip(iv, 0), body].join('.'), 'fa_1')).toThrow();
    expect(() => box.open(sealed, 'fa_2')).toThrow();
    expect(() => box.open('v2.x.y.z')).toThrow(/unknown format/);
    expect(() => box.open('garbage')).toThrow();
  });

  it('rotates keys: seals with the first key, opens with any configured key, refuses unknown keys', () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const before = createSecretBox([oldKey]);
    const sealedOld = before.seal(Buffer.from('old secret'));
    const after = createSecretBox([newKey, oldKey]);
    expect(after.open(sealedOld).toString()).toBe('old secret');
    const sealedNew = after.seal(Buffer.from('new secret'));
    expect(sealedNew.split('.')[1]).not.toBe(sealedOld.split('.')[1]);
    expect(createSecretBox([newKey]).open(sealedNew).toString()).toBe('new secret');
    expect(() => createSecretBox([newKey]).open(sealedOld)).toThrow(/not configured/);
    expect(() => createSecretBox([])).toThrow();
  });
});
