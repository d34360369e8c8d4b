// Audit action names (dotted words, API.md) as people read them.
const NAMES: Record<string, string> = {
  'auth.login.succeeded': 'Signed in',
  'auth.login.failed': 'Sign-in failed',
  'auth.login.enrollment_only': 'Signed in to set up MFA only',
  'auth.password.succeeded': 'Password accepted',
  'auth.logout': 'Signed out',
  'auth.logout_everywhere': 'Signed out everywhere',
  'auth.signup': 'Signed up',
  'auth.email.verified': 'Email address verified',
  'auth.email.change_requested': 'Email change requested',
  'auth.email.changed': 'Email address changed',
  'auth.password.changed': 'Password changed',
  'auth.password.reset': 'Password reset',
  'auth.password.reset_requested': 'Password reset requested',
  'auth.invitation.accepted': 'Invitation accepted',
  'mfa.challenge.failed': 'Second step failed',
  'mfa.factor.enrolled': 'Factor added',
  'mfa.factor.removed': 'Factor removed',
  'mfa.factor.removed_by_staff': 'Factor removed by staff',
  'mfa.locked.temporarily': 'Second step locked for 15 minutes',
  'mfa.locked.until_unlocked': 'Second step locked until unlocked',
  'mfa.unlocked': 'Second step unlocked',
  'mfa.recovery_code.used': 'Recovery code used',
  'mfa.recovery_codes.generated': 'Recovery codes generated',
  'mfa.remembered_device.revoked': 'Remembered device forgotten',
  'mfa.remembered_devices.revoked_by_staff': 'Remembered devices forgotten by staff',
  'mfa.reset': 'MFA reset',
  'mfa.setup_link.used': 'Setup link used',
  'mfa.step_up.succeeded': 'Step-up passed',
  'mfa.enrollment_required': 'MFA setup required at next sign-in',
  'mfa.enrollment_required.cancelled': 'Required MFA setup cancelled',
  'mfa.temporary_code.issued': 'Temporary access code issued',
  'mfa.temporary_code.used': 'Temporary access code used',
  'mfa.bulk_reset.started': 'Bulk reset started',
  'sessions.revoked_by_staff': 'Signed out everywhere by staff',
  'identity_check.sent': 'Identity check code emailed',
  'identity_check.confirmed': 'Identity check confirmed',
  'api_token.created': 'API token created',
  'api_token.revoked': 'API token revoked',
  'contact.created': 'Contact created',
  'staff.created': 'Staff member created',
  'staff.first_admin_created': 'First admin created',
  'staff.invited': 'Staff member invited',
  'staff.role_changed': 'Staff role changed',
  'staff.deactivated': 'Staff member deactivated',
  'staff.reactivated': 'Staff member reactivated',
  'staff.setup_completed': 'Staff setup completed',
  'settings.general.changed': 'General settings changed',
  'settings.mfa.changed': 'MFA settings changed',
  'mfa.bulk_reset.completed': 'Bulk reset completed',
  'mfa.bulk_reset.cancelled': 'Bulk reset cancelled',
  'mfa.pending_action.scheduled': 'MFA action scheduled (waiting period)',
  'mfa.pending_action.cancelled': 'Scheduled MFA action cancelled',
  'mfa.temporary_code.activated': 'Temporary access code activated',
  'mfa.recovery_request.opened': 'Locked-out customer asked for help',
  'mfa.recovery_request.cancelled': 'Help request cancelled',
};

/** "mfa.temporary_code.issued" → "Temporary access code issued"; unknown names still read well. */
export function readableAction(action: string): string {
  if (NAMES[action]) return NAMES[action];
  const words = action.replace(/[._]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The actions offered in the audit page's filter. */
export const KNOWN_ACTIONS = Object.keys(NAMES);
