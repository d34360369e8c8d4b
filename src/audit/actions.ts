/**
 * Every audit `action` name Portico writes (API.md: dotted words listed in the OpenAPI
 * document). The audit entry's type takes only these, so a new action cannot be written
 * without being listed here, and the audit list's `action` filter is this enum, so the
 * OpenAPI document lists them all. The console's readable names are in
 * web/src/admin/audit/action-names.ts (a test keeps the two lists the same).
 */
export const AUDIT_ACTIONS = [
  'auth.login.succeeded',
  'auth.login.failed',
  'auth.login.enrollment_only',
  'auth.password.succeeded',
  'auth.logout',
  'auth.logout_everywhere',
  'auth.signup',
  'auth.email.verified',
  'auth.email.change_requested',
  'auth.email.changed',
  'auth.password.changed',
  'auth.password.reset',
  'auth.password.reset_requested',
  'auth.invitation.accepted',
  'mfa.challenge.failed',
  'mfa.factor.enrolled',
  'mfa.factor.removed',
  'mfa.factor.removed_by_staff',
  'mfa.locked.temporarily',
  'mfa.locked.until_unlocked',
  'mfa.unlocked',
  'mfa.recovery_code.used',
  'mfa.recovery_codes.generated',
  'mfa.remembered_device.revoked',
  'mfa.remembered_devices.revoked_by_staff',
  'mfa.reset',
  'mfa.setup_link.used',
  'mfa.step_up.succeeded',
  'mfa.enrollment_required',
  'mfa.enrollment_required.cancelled',
  'mfa.temporary_code.issued',
  'mfa.temporary_code.used',
  'mfa.bulk_reset.started',
  'sessions.revoked_by_staff',
  'identity_check.sent',
  'identity_check.confirmed',
  'api_token.created',
  'api_token.revoked',
  'contact.created',
  'staff.created',
  'staff.first_admin_created',
  'staff.invited',
  'staff.role_changed',
  'staff.deactivated',
  'staff.reactivated',
  'staff.setup_completed',
  'settings.general.changed',
  'settings.mfa.changed',
  'mfa.bulk_reset.completed',
  'mfa.bulk_reset.cancelled',
  'mfa.pending_action.scheduled',
  'mfa.pending_action.cancelled',
  'mfa.temporary_code.activated',
  'mfa.recovery_request.opened',
  'mfa.recovery_request.cancelled',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Who can act: API.md's audit `actor.type`. */
export const ACTOR_TYPES = ['contact', 'staff', 'token', 'cli', 'system'] as const;
