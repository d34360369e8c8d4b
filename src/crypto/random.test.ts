import { describe, expect, it } from 'vitest';
import { generateBase32, generateDigits, generateID, generateToken, normalizeBase32, secureRandomBytes } from './random.js';

describe('generateID', () => {
  it('is the prefix, 12 hex digits of milliseconds and 16 base32 characters', () => {
    const at = new Date('2026-01-01T00:00:00.000Z');
    const id = generateID('ct', at);
    expect(id).toMatch(/^ct_[0-9a-f]{12}[0-9a-hjkmnp-tv-z]{16}$/);
    expect(id.slice(3, 15)).toBe(at.getTime().toString(16).padStart(12, '0'));
  });

  it('sorts lexically in creation order across milliseconds, and never repeats', () => {
    const ids: string[] = [];
    const t0 = Date.parse('2026-03-01T12:00:00Z');
    for (let i = 0; i < 1000; i++) ids.push(generateID('tk', new Date(t0 + i * 7)));
    expect([...ids].sort()).toEqual(ids);
    const same = Array.from({ length: 10000 }, () => generateID('ev', new Date(t0)));
    expect(new Set(same).size).toBe(same.length);
  });
});

describe('other random values', () => {
  it('generateToken is URL-safe base64 of the requested entropy', () => {
    expect(generateToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(generateToken()).not.toBe(generateToken());
  });
  it('generateDigits gives digits only, every digit turning up', () => {
    const s = Array.from({ length: 200 }, () => generateDigits(6)).join('');
    expect(s).toMatch(/^\d{1200}$/);
    expect(new Set(s).size).toBe(10);
  });
  it('generateBase32 uses Crockford\'s alphabet and normalizeBase32 reads typos back', () => {
    expect(generateBase32(64)).toMatch(/^[0-9A-HJKMNP-TV-Z]{64}$/);
    expect(normalizeBase32('abcd-efgh ijkl o')).toBe('ABCDEFGH1JK10');
  });
});

describe('secureRandomBytes (the pool)', () => {
  it('never hands out the same bytes twice across refills, at any size', () => {
    const seen = new Set<string>();
    // 20,000 draws of 32 bytes cross the 4 KiB pool ~150 times.
    for (let i = 0; i < 20_000; i++) {
      const b = secureRandomBytes(32);
      expect(b.length).toBe(32);
      const hex = b.toString('hex');
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
    }
    for (const n of [1, 7, 1024, 1025, 5000]) expect(secureRandomBytes(n).length).toBe(n);
  });

  it('hands out independent copies (changing one never changes another or a later draw)', () => {
    const a = secureRandomBytes(16);
    const before = Buffer.from(a);
    const b = secureRandomBytes(16);
    b.fill(0);
    expect(a.equals(before)).toBe(true);
    expect(secureRandomBytes(16).equals(Buffer.alloc(16))).toBe(false);
  });

  it('is uniform enough: every byte value turns up, and bits are about half set', () => {
    const all = Buffer.concat(Array.from({ length: 2000 }, () => secureRandomBytes(32)));
    expect(new Set(all).size).toBe(256);
    let ones = 0;
    for (const byte of all) for (let i = 0; i < 8; i++) ones += (byte >> i) & 1;
    expect(ones / (all.length * 8)).toBeGreaterThan(0.49);
    expect(ones / (all.length * 8)).toBeLessThan(0.51);
  });
});
