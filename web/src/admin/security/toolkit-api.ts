// The staff MFA toolkit's calls (API.md "Staff MFA toolkit"), for contacts and, for admins,
// staff members. Kept beside the Security panel so the shared client stays small.
import { request, type StaffRecord } from '../../api.js';

/** Whose Security panel this is: a contact (/contacts/{id}) or a staff member (/staff/{id}). */
export interface Target {
  kind: 'contact' | 'staff';
  id: string;
}

export interface PanelFactor {
  id: string;
  type: 'totp' | 'webauthn';
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  authenticator?: string | null;
  backedUp?: boolean;
}

export interface SecurityPanelData {
  enrolled: boolean;
  enrollmentRequired: boolean;
  setupLinkRequired?: boolean;
  locked: boolean;
  lock?: { hard: boolean; until: string | null; consecutiveFailures: number };
  factors: PanelFactor[];
  recoveryCodesLeft: number;
  rememberedDevices: Array<{ id: string; browser: string | null; createdAt: string; lastUsedAt: string | null }>;
  activeSessions: Array<{ createdAt: string; lastSeenAt: string | null; ip: string | null; userAgent: string | null }>;
  /** Sign-ins past the password, waiting for a second step or a new setup. */
  pendingSignIns?: Array<{ state: 'mfa_required' | 'enrollment_required'; createdAt: string; ip: string | null; userAgent: string | null }>;
  temporaryCode?: { expiresAt: string } | null;
  pendingActions?: unknown[];
}

export type VerificationMethod = 'email_code' | 'callback' | 'other' | 'none';

export interface Verification {
  method: VerificationMethod;
  checkId?: string;
  note?: string;
}

/** Every action's answer is a small summary of counts (or a one-time code). */
export type ActionResult = Record<string, unknown>;

const base = (t: Target) => `/api/v1/${t.kind === 'contact' ? 'contacts' : 'staff'}/${encodeURIComponent(t.id)}`;

export const toolkitApi = {
  panel: (t: Target) => request<SecurityPanelData>('GET', `${base(t)}/mfa`),
  reset: (t: Target, body: { reason: string; verification: Verification; requireEnrollment: boolean }) => request<ActionResult>('POST', `${base(t)}/mfa/reset`, body),
  removeFactor: (t: Target, factorId: string, body: { reason: string; verification: Verification; revokeSessions: boolean }) =>
    request<ActionResult>('DELETE', `${base(t)}/mfa/factors/${encodeURIComponent(factorId)}`, body),
  requireEnrollment: (t: Target, body: { reason: string; verification: Verification }) => request<ActionResult>('POST', `${base(t)}/mfa/require-enrollment`, body),
  cancelRequiredEnrollment: (t: Target, body: { reason: string; verification: Verification }) => request<ActionResult>('DELETE', `${base(t)}/mfa/require-enrollment`, body),
  temporaryCode: (t: Target, body: { reason: string; verification: Verification; ttlMinutes: number }) =>
    request<{ code: string; expiresAt: string }>('POST', `${base(t)}/mfa/temporary-codes`, body),
  unlock: (t: Target, body: { reason: string; verification: Verification }) => request<ActionResult>('POST', `${base(t)}/mfa/unlock`, body),
  revokeSessions: (t: Target, body: { reason: string; verification: Verification }) => request<ActionResult>('POST', `${base(t)}/sessions/revoke`, body),
  revokeRememberedDevices: (t: Target, body: { reason: string; verification: Verification }) => request<ActionResult>('POST', `${base(t)}/remembered-devices/revoke`, body),
  startIdentityCheck: (t: Target) => request<{ id: string; expiresAt: string }>('POST', `${base(t)}/identity-checks`, {}),
  confirmIdentityCheck: (t: Target, checkId: string, code: string) =>
    request<{ verified: true }>('POST', `${base(t)}/identity-checks/${encodeURIComponent(checkId)}/confirm`, { code }),
  getStaffMember: (id: string) => request<StaffRecord>('GET', `/api/v1/staff/${encodeURIComponent(id)}`),
};

/** The staff member's own step-up (a fresh second step, valid 5 minutes). */
export const stepUpApi = {
  totp: (code: string) => request<{ stepUp: true; validUntil: string }>('POST', '/api/v1/staff-auth/step-up', { method: 'totp', code }),
  webauthnOptions: () => request<Record<string, unknown>>('POST', '/api/v1/staff-auth/step-up/webauthn/options'),
  webauthn: (response: unknown) => request<{ stepUp: true; validUntil: string }>('POST', '/api/v1/staff-auth/step-up', { method: 'webauthn', response }),
};

export interface AuditEvent {
  id: string;
  at: string;
  actor: { type: 'contact' | 'staff' | 'token' | 'cli' | 'system'; id: string | null };
  contactId: string | null;
  staffId: string | null;
  action: string;
  reason: string | null;
  verification: { method?: string; checkId?: string; note?: string } | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown> | null;
}
