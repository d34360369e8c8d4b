import type { ReactNode } from 'react';
import type { ContactMFASummary } from '../api.js';

const METHOD_NAMES: Record<string, string> = { totp: 'Authenticator app', webauthn: 'Passkey' };

/** A contact's MFA state in a few words, for lists and headers. */
export function MFABadges({ mfa }: { mfa: ContactMFASummary }): ReactNode {
  const methods = mfa.methods.map((m) => METHOD_NAMES[m] ?? m).join(', ');
  return (
    <span className="badges">
      {mfa.enrolled ? <span className="badge ok">MFA: {methods || 'enrolled'}</span> : <span className="badge muted">No MFA</span>}
      {mfa.enrollmentRequired && <span className="badge warn">Setup required</span>}
      {mfa.locked && <span className="badge danger">Locked out</span>}
    </span>
  );
}
