import { describe, expect, it } from 'vitest';
import { createHmac, randomBytes } from 'node:crypto';
import { matchTOTPStep, totpCode, totpURI, base32Secret } from './totp.js';

// RFC 6238 Appendix B, SHA-1 seed "12345678901234567890". The RFC lists 8-digit values; our
// 6-digit codes are their last six digits (the same dynamic truncation, modulo 10^6).
const SEED = Buffer.from('12345678901234567890', 'ascii');
const RFC6238: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

// RFC 4226 Appendix D: HOTP values for counters 0..9 with the same seed.
const RFC4226 = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];

describe('TOTP (RFC 6238 / RFC 4226)', () => {
  it.each(RFC6238)('matches the RFC 6238 vector at T=%i', (seconds, eight) => {
    expect(totpCode(SEED, new Date(seconds * 1000))).toBe(eight.slice(2));
  });

  it('is HOTP of the time step (RFC 4226 vectors via steps 0..9)', () => {
    RFC4226.forEach((code, counter) => {
      expect(totpCode(SEED, new Date(counter * 30_000 + 1000))).toBe(code);
    });
  });

  it('agrees with an independent HMAC-SHA1 computation', () => {
    const at = new Date('2026-11-28T10:00:00Z');
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64BE(BigInt(Math.floor(at.getTime() / 30000)));
    const h = createHmac('sha1', SEED).update(counter).digest();
    const o = h[h.length - 1] & 0xf;
    const bin = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
    expect(totpCode(SEED, at)).toBe(String(bin % 1_000_000).padStart(6, '0'));
  });

  it('accepts ±1 step and names the step matched', () => {
    const at = new Date(1111111111 * 1000);
    const step = Math.floor(1111111111 / 30);
    expect(matchTOTPStep(SEED, totpCode(SEED, at), at)).toBe(step);
    expect(matchTOTPStep(SEED, totpCode(SEED, new Date(at.getTime() - 30_000)), at)).toBe(step - 1);
    expect(matchTOTPStep(SEED, totpCode(SEED, new Date(at.getTime() + 30_000)), at)).toBe(step + 1);
    expect(matchTOTPStep(SEED, totpCode(SEED, new Date(at.getTime() - 60_000)), at)).toBeNull();
  });

  it('matches the RFC 6238 vectors, including counters past 2^32 seconds', () => {
    for (const [seconds, eight] of RFC6238) expect(matchTOTPStep(SEED, eight.slice(2), new Date(seconds * 1000))).toBe(Math.floor(seconds / 30));
  });

  it('agrees with otpauth on a thousand random seeds and moments, and refuses the code of another seed', () => {
    for (let i = 0; i < 1000; i++) {
      const seed = randomBytes(20);
      const at = new Date(Date.UTC(2020, 0, 1) + Math.floor(Math.random() * 20 * 365 * 86_400_000));
      const code = totpCode(seed, at);
      // The step the code was made for, unless the step before has the same code: about one
      // seed in a million does, and then the earlier step is the match (the earliest in the
      // window wins, so a code is never taken as a later step than it may have been used at).
      const step = Math.floor(at.getTime() / 30_000);
      const expected = totpCode(seed, new Date(at.getTime() - 30_000)) === code ? step - 1 : step;
      expect(matchTOTPStep(seed, code, at)).toBe(expected);
      const other = randomBytes(20);
      const window = [-1, 0, 1].map((d) => totpCode(other, new Date(at.getTime() + d * 30_000)));
      if (!window.includes(code)) expect(matchTOTPStep(other, code, at)).toBeNull();
    }
  });

  it('matches a code that two steps share as the earlier of them', () => {
    // Found by search: this seed's codes for steps 52,632,482 and 52,632,483 are both 192143.
    const seed = Buffer.from('f344b30a6b8f227ffa8ecb40764fefe46436d171', 'hex');
    const at = new Date(52_632_483 * 30_000 + 1_000);
    expect(totpCode(seed, at)).toBe('192143');
    expect(totpCode(seed, new Date(at.getTime() - 30_000))).toBe('192143');
    expect(matchTOTPStep(seed, '192143', at)).toBe(52_632_482);
  });

  it('rejects anything but six digits', () => {
    const at = new Date(59_000);
    for (const bad of ['', '28708', '2870822', ' 287082', '28708a', '２８７０８２']) expect(matchTOTPStep(SEED, bad, at)).toBeNull();
  });

  it('builds an otpauth URI naming the issuer, SHA1, 6 digits, 30 s', () => {
    const uri = totpURI(SEED, 'Acme Help', 'ann@example.com');
    expect(uri).toMatch(/^otpauth:\/\/totp\/Acme%20Help:ann%40example\.com\?/);
    expect(uri).toContain(`secret=${base32Secret(SEED)}`);
    expect(uri).toContain('issuer=Acme%20Help');
    expect(uri).toContain('algorithm=SHA1');
    expect(uri).toContain('digits=6');
    expect(uri).toContain('period=30');
  });
});
