// Calls of the MFA feature (API.md "Customer authentication" and "Self-service"), the same for
// both audiences: customers under /api/v1/auth + /api/v1/me, staff under /api/v1/staff-auth +
// /api/v1/staff-me.
import type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/browser';
import { request, type Audience, type SignInState } from '../../api.js';
import './mfa.css';

export type FactorType = 'totp' | 'webauthn';

export interface Factor {
  id: string;
  type: FactorType;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  authenticator?: string | null;
}

export interface RememberedDevice {
  id: string;
  browser: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt?: string;
}

export interface MFAOverview {
  enrolled: boolean;
  enrollmentRequired: boolean;
  factors: Factor[];
  recoveryCodesLeft: number;
  rememberedDevices: RememberedDevice[];
}

export interface TOTPStart {
  factorId: string;
  secret: string;
  otpauthUri: string;
  qrSvg: string;
}

/** Adding a factor: the factor (API.md), the first one with recovery codes; from enrollment, a full session. */
export interface EnrollmentAnswer extends Factor {
  recoveryCodes?: string[];
  state?: SignInState;
  csrfToken?: string;
}

export interface SecurityEvent {
  id: string;
  at: string;
  action: string;
  actor: { type: string };
  ip: string | null;
  userAgent: string | null;
}

/** A way to pass the second step (or a step-up). */
export type SecondFactor =
  | { method: 'totp' | 'recovery_code' | 'temporary_code'; code: string }
  | { method: 'webauthn'; response: AuthenticationResponseJSON };

const authBase = (a: Audience) => (a === 'contact' ? '/api/v1/auth' : '/api/v1/staff-auth');
const meBase = (a: Audience) => (a === 'contact' ? '/api/v1/me' : '/api/v1/staff-me');
const id = (s: string) => encodeURIComponent(s);

/** The MFA calls of one audience. */
export function mfaApi(a: Audience) {
  const auth = authBase(a);
  const me = meBase(a);
  return {
    verify: (f: SecondFactor & { rememberDevice?: boolean }) => request<{ state: SignInState; csrfToken: string }>('POST', `${auth}/mfa/verify`, f),
    signInPasskeyOptions: () => request<PublicKeyCredentialRequestOptionsJSON>('POST', `${auth}/mfa/webauthn/options`),
    stepUp: (f: SecondFactor) => request<{ stepUp: true; validUntil: string }>('POST', `${auth}/step-up`, f),
    stepUpPasskeyOptions: () => request<PublicKeyCredentialRequestOptionsJSON>('POST', `${auth}/step-up/webauthn/options`),
    overview: () => request<MFAOverview>('GET', `${me}/mfa`),
    beginTOTP: () => request<TOTPStart>('POST', `${me}/mfa/totp`),
    confirmTOTP: (factorId: string, code: string, name?: string) =>
      request<EnrollmentAnswer>('POST', `${me}/mfa/totp/${id(factorId)}/confirm`, name ? { code, name } : { code }),
    passkeyOptions: () => request<PublicKeyCredentialCreationOptionsJSON>('POST', `${me}/mfa/webauthn/options`),
    addPasskey: (response: RegistrationResponseJSON, name?: string) => request<EnrollmentAnswer>('POST', `${me}/mfa/webauthn`, name ? { response, name } : { response }),
    renameFactor: (factorId: string, name: string) => request<Factor>('PATCH', `${me}/mfa/factors/${id(factorId)}`, { name }),
    removeFactor: (factorId: string) => request<void>('DELETE', `${me}/mfa/factors/${id(factorId)}`),
    regenerateRecoveryCodes: () => request<{ codes: string[] }>('POST', `${me}/mfa/recovery-codes`),
    forgetDevice: (deviceId: string) => request<void>('DELETE', `${me}/mfa/remembered-devices/${id(deviceId)}`),
    securityEvents: () => request<{ items: SecurityEvent[]; nextCursor: string | null }>('GET', `${me}/security-events`),
  };
}

export type MFAApi = ReturnType<typeof mfaApi>;

/** Human names of the factor types and second-step methods. */
export const METHOD_LABELS: Record<string, string> = {
  totp: 'Authenticator app',
  webauthn: 'Passkey or security key',
  recovery_code: 'Recovery code',
  temporary_code: 'Temporary access code',
  setup_link: 'Setup link',
};
