import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import QRCode from 'qrcode';

/** RFC 6238 as PRODUCT.md fixes it: SHA-1, 6 digits, 30-second steps, ±1 step of drift. */
export const TOTP_PERIOD = 30;
export const TOTP_DIGITS = 6;
export const TOTP_WINDOW = 1;

/** A fresh 160-bit seed. */
export function generateTOTPSecret(): Buffer {
  return randomBytes(20);
}

export function base32Secret(secret: Buffer): string {
  return new OTPAuth.Secret({ buffer: new Uint8Array(secret).buffer }).base32;
}

function totpFor(secret: Buffer, issuer = 'Portico', label = 'account'): OTPAuth.TOTP {
  return new OTPAuth.TOTP({
    issuer,
    label,
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD,
    secret: new OTPAuth.Secret({ buffer: new Uint8Array(secret).buffer }),
  });
}

/** The `otpauth://` URI that authenticator apps read from the QR code. */
export function totpURI(secret: Buffer, issuer: string, accountName: string): string {
  return totpFor(secret, issuer, accountName).toString();
}

export async function totpQRSVG(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** The code for a moment (tests and benchmarks use this to act as the authenticator app). */
export function totpCode(secret: Buffer, at: Date): string {
  return totpFor(secret).generate({ timestamp: at.getTime() });
}

/**
 * Checks a code at a moment. Returns the absolute time step it matched (so that the caller can
 * refuse a step already used), or null. Only 6 ASCII digits are ever considered.
 */
export function matchTOTPStep(secret: Buffer, code: string, at: Date): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const offered = Buffer.from(code, 'ascii');
  const now = Math.floor(at.getTime() / 1000 / TOTP_PERIOD);
  // Every step in the window is computed and compared in constant time; the earliest match wins.
  let matched: number | null = null;
  for (let step = now - TOTP_WINDOW; step <= now + TOTP_WINDOW; step++) {
    if (timingSafeEqual(Buffer.from(hotp(secret, step), 'ascii'), offered) && matched === null) matched = step;
  }
  return matched;
}

/**
 * RFC 4226 HOTP (HMAC-SHA-1, dynamic truncation, 6 digits) with node:crypto directly: the
 * second step of every sign-in runs it three times, and building otpauth's objects for each
 * check cost more than the HMACs. totpCode (what tests use to act as the app) stays on
 * otpauth, so the tests compare the two implementations as well as the RFC vectors.
 */
function hotp(secret: Buffer, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeUInt32BE(Math.floor(counter / 2 ** 32), 0);
  message.writeUInt32BE(counter % 2 ** 32, 4);
  const h = createHmac('sha1', secret).update(message).digest();
  const o = h[h.length - 1] & 0xf;
  const binary = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(binary % 10 ** TOTP_DIGITS).padStart(TOTP_DIGITS, '0');
}
