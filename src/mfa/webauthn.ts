import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Config } from '../config.js';
import type { Factor } from './store.js';

/** Relying party: the origin and RP ID come from PUBLIC_URL, never from the request. */
export function relyingParty(config: Config): { rpID: string; origin: string; rpName: string } {
  const u = new URL(config.publicURL);
  return { rpID: u.hostname, origin: u.origin, rpName: 'Portico Help Center' };
}

/** Authenticator models by AAGUID, for the staff Security panel (the best-known ones). */
const AAGUID_NAMES: Record<string, string> = {
  'fbfc3007-154e-4ecc-8c0b-6e020557d7bd': 'iCloud Keychain',
  'dd4ec289-e01d-41c9-bb89-70fa845d4bf2': 'iCloud Keychain (Managed)',
  'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4': 'Google Password Manager',
  'adce0002-35bc-c60a-648b-0b25f1f05503': 'Chrome on Mac',
  '08987058-cadc-4b81-b6e1-30de50dcbe96': 'Windows Hello',
  '9ddd1817-af5a-4672-a2b9-3e3dd95000a9': 'Windows Hello',
  '6028b017-b1d4-4c02-b4b3-afcdafc96bb2': 'Windows Hello',
  'bada5566-a7aa-401f-bd96-45619a55120d': '1Password',
  'd548826e-79b4-db40-a3d8-11116f7e8349': 'Bitwarden',
  '531126d6-e717-415c-9320-3d9aa6981239': 'Dashlane',
  'cb69481e-8ff7-4039-93ec-0a2729a154a8': 'YubiKey 5 Series',
  'ee882879-721c-4913-9775-3dfcce97072a': 'YubiKey 5 Series',
  'fa2b99dc-9e39-4257-8f92-4a30d23c4118': 'YubiKey 5 Series with NFC',
  '2fc0579f-8113-47ea-b116-bb5a8db9202a': 'YubiKey 5 Series with NFC',
  'c5ef55ff-ad9a-4b9f-b580-adebafe026d0': 'YubiKey 5Ci',
  '149a2021-8ef6-4133-96b8-81f8d5b7f1f5': 'Security Key by Yubico with NFC',
  'a4e9fc6d-4cbe-4758-b8ba-37598bb5bbaa': 'Security Key by Yubico with NFC',
  '0bb43545-fd2c-4185-87dd-feb0b2916ace': 'Security Key NFC by Yubico',
  'b92c3f9a-c014-4056-887f-140a2501163b': 'Security Key by Yubico',
  '9c835346-796b-4c27-8898-d6032f515cc5': 'Cryptnox FIDO2',
  '53414d53-554e-4700-0000-000000000000': 'Samsung Pass',
};

export function authenticatorName(aaguid: string | null): string | null {
  if (!aaguid || /^0{8}-0{4}-0{4}-0{4}-0{12}$/.test(aaguid)) return null;
  return AAGUID_NAMES[aaguid.toLowerCase()] ?? null;
}

export async function registrationOptions(
  config: Config,
  user: { id: string; email: string; name: string },
  existing: Factor[],
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const rp = relyingParty(config);
  return generateRegistrationOptions({
    rpName: rp.rpName,
    rpID: rp.rpID,
    userName: user.email,
    userDisplayName: user.name,
    userID: new TextEncoder().encode(user.id),
    attestationType: 'none',
    timeout: 300_000,
    excludeCredentials: existing.filter((f) => f.type === 'webauthn' && f.credentialID).map((f) => ({ id: f.credentialID!, transports: knownTransports(f.transports) as AuthenticatorTransport[] })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
}

export interface VerifiedRegistration {
  credentialID: string;
  publicKey: string;
  counter: number;
  transports: string[];
  aaguid: string;
  deviceType: string;
  backedUp: boolean;
}

/** The transports WebAuthn names (a hint for the browser: how to reach the authenticator). */
const AUTHENTICATOR_TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);

/**
 * The known transport names in `value`, each once. The browser sends the list, and the library
 * copies it unchecked: a string, an object or 15,000 entries were stored as sent and handed
 * back in every sign-in's options, where a browser may refuse them and so the owner's passkey.
 */
export function knownTransports(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return [...new Set(value.filter((t): t is string => typeof t === 'string' && AUTHENTICATOR_TRANSPORTS.has(t)))];
}

/** Verifies a registration against the challenge; null when it does not verify. */
export async function verifyRegistration(config: Config, response: RegistrationResponseJSON, expectedChallenge: string): Promise<VerifiedRegistration | null> {
  const rp = relyingParty(config);
  try {
    const r = await verifyRegistrationResponse({ response, expectedChallenge, expectedOrigin: rp.origin, expectedRPID: rp.rpID, requireUserVerification: false });
    if (!r.verified) return null;
    const info = r.registrationInfo;
    return {
      credentialID: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: info.credential.counter,
      transports: knownTransports(info.credential.transports ?? response.response.transports),
      aaguid: info.aaguid,
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
    };
  } catch {
    return null;
  }
}

export async function authenticationOptions(config: Config, factors: Factor[]): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: relyingParty(config).rpID,
    timeout: 300_000,
    userVerification: 'preferred',
    allowCredentials: factors.filter((f) => f.type === 'webauthn' && f.credentialID).map((f) => ({ id: f.credentialID!, transports: knownTransports(f.transports) as AuthenticatorTransport[] })),
  });
}

/**
 * Verifies an assertion by one of `factor`'s credential: the new counter, or null when it does
 * not verify. A valid signature whose counter did not go up (when either counter is non-zero)
 * is refused too, but told apart as `counterNotIncreased`: the key material answered, so the
 * credential has most likely been cloned, which the audit log must show rather than a typo.
 */
export async function verifyAuthentication(
  config: Config,
  response: AuthenticationResponseJSON,
  expectedChallenge: string,
  factor: Factor,
): Promise<{ newCounter: number; counterNotIncreased?: true } | null> {
  const rp = relyingParty(config);
  const stored = factor.counter ?? 0;
  try {
    // The library would throw on a regressed counter like on a bad signature; it is given a
    // zero counter so that it judges the signature alone, and the counter is compared here.
    const r = await verifyAuthenticationResponse({
      response,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpID,
      requireUserVerification: false,
      credential: { id: factor.credentialID!, publicKey: new Uint8Array(Buffer.from(factor.publicKey!, 'base64url')), counter: 0, transports: knownTransports(factor.transports) as never },
    });
    if (!r.verified) return null;
    const newCounter = r.authenticationInfo.newCounter;
    if ((newCounter > 0 || stored > 0) && newCounter <= stored) return { newCounter, counterNotIncreased: true };
    return { newCounter };
  } catch {
    return null;
  }
}
