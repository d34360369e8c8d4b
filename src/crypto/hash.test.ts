import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { constantTimeEqual, deriveKey, hashToken, hmacHex } from './hash.js';

describe('constantTimeEqual', () => {
  it('is true only for identical strings', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'ab')).toBe(false);
    expect(constantTimeEqual('ab', 'abc')).toBe(false);
    expect(constantTimeEqual('abc', '')).toBe(false);
    expect(constantTimeEqual('é', 'e\u0301')).toBe(false);
    expect(constantTimeEqual('🙂', '🙂')).toBe(true);
  });
});

describe('hashing helpers', () => {
  it('hashToken is SHA-256 hex', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    // Any string, hashed as its UTF-8 bytes, whichever of Node's two ways runs here.
    for (const s of ['', 'é', 'e\u0301', '🙂 token', randomBytes(32).toString('base64url'), 'x'.repeat(10_000)]) {
      expect(hashToken(s)).toBe(createHash('sha256').update(Buffer.from(s, 'utf8')).digest('hex'));
    }
  });
  it('hmacHex matches RFC 4231 test case 2', () => {
    expect(hmacHex(Buffer.from('Jefe'), 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });
  it('deriveKey gives a different 32-byte key per purpose and per master', () => {
    const m = randomBytes(32);
    const a = deriveKey(m, 'audit-chain');
    expect(a).toHaveLength(32);
    expect(a.equals(deriveKey(m, 'audit-chain'))).toBe(true);
    expect(a.equals(deriveKey(m, 'csrf'))).toBe(false);
    expect(a.equals(deriveKey(randomBytes(32), 'audit-chain'))).toBe(false);
  });
});
