// What each audit action means to the person it happened to, for their "Recent security
// activity" (GET …/security-events lists every entry about them). Every action Portico writes
// has a name here (test/security-events.every-action-has-a-readable-name.test.ts).
const NAMES: Record<string, string> = {
  'auth.login.succeeded': 'Signed in',
  'auth.login.failed': 'Failed sign-in',
  'auth.login.enrollment_only': 'Signed in to set up two-step verification',
  'auth.password.succeeded': 'Password accepted',
  'auth.logout': 'Signed out',
  'auth.logout_everywhere': 'Signed out everywhere',
  'auth.signup': 'Account created',
  'auth.email.verified': 'Email address confirmed',
  'auth.email.change_requested': 'Email change requested',
  'auth.email.changed': 'Email address changed',
  'auth.password.changed': 'Password changed',
  'auth.password.reset': 'Password reset',
  'auth.password.reset_requested': 'Password reset requested',
  'auth.invitation.accepted': 'Invitation accepted',
  'mfa.challenge.failed': 'Wrong second-step code',
  'mfa.factor.enrolled': 'Sign-in method added',
  'mfa.factor.removed': 'Sign-in method removed',
  'mfa.factor.removed_by_staff': 'Sign-in method removed by support',
  'mfa.locked.temporarily': 'Second step locked for a while after too many wrong codes',
  'mfa.locked.until_unlocked': 'Second step locked after too many wrong codes',
  'mfa.unlocked': 'Second step unlocked by support',
  'mfa.recovery_code.used': 'Recovery code used',
  'mfa.recovery_codes.generated': 'New recovery codes generated',
  'mfa.remembered_device.revoked': 'Remembered browser forgotten',
  'mfa.remembered_devices.revoked_by_staff': 'Remembered browsers forgotten by support',
  'mfa.reset': 'Two-step verification reset by support',
  'mfa.setup_link.used': 'Setup link used',
  'mfa.step_up.succeeded': 'Identity confirmed again',
  'mfa.enrollment_required': 'Support asked for a new two-step verification setup',
  'mfa.enrollment_required.cancelled': 'Required setup of two-step verification cancelled by support',
  'mfa.temporary_code.issued': 'Temporary access code issued by support',
  'mfa.temporary_code.used': 'Temporary access code used',
  'mfa.temporary_code.activated': 'Temporary access code became usable',
  'mfa.bulk_reset.started': 'Bulk reset of two-step verification started',
  'mfa.bulk_reset.completed': 'Bulk reset of two-step verification completed',
  'mfa.bulk_reset.cancelled': 'Bulk reset of two-step verification cancelled',
  'mfa.pending_action.scheduled': 'Change to two-step verification scheduled by support',
  'mfa.pending_action.cancelled': 'Scheduled change to two-step verification cancelled',
  'mfa.recovery_request.opened': 'Help with signing in requested',
  'mfa.recovery_request.cancelled': 'Help request cancelled (“it was not me”)',
  'sessions.revoked_by_staff': 'Signed out everywhere by support',
  'identity_check.sent': 'Verification code emailed by support',
  'identity_check.confirmed': 'Verification code confirmed with support',
  'api_token.created': 'New API token created',
  'api_token.revoked': 'An API token was revoked',
  'contact.created': 'Account created by support',
  'staff.created': 'Staff account created',
  'staff.first_admin_created': 'First administrator account created',
  'staff.invited': 'Invited to the console',
  'staff.role_changed': 'Role changed',
  'staff.deactivated': 'Account deactivated',
  'staff.reactivated': 'Account reactivated',
  'staff.setup_completed': 'Account setup completed',
  'settings.general.changed': 'Help center settings changed',
  'settings.mfa.changed': 'Two-step verification settings changed',
};

/** A readable name for one's own security event; an unknown one still reads as words. */
export function securityEventName(action: string): string {
  if (NAMES[action]) return NAMES[action];
  const words = action.replace(/[._]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The actions named here. */
export const NAMED_SECURITY_EVENTS = Object.keys(NAMES);
