import type { ReactNode } from 'react';
import type { ContactMFASummary } from '../api.js';

/** A contact's MFA state in a few words, for lists and headers. */
export function MFABadges({ mfa }: { mfa: ContactMFASummary }): ReactNode {
  return (
    <span className="badges">
      {mfa.enrolled ? <span className="badge ok">MFA: {mfa.methods.join(', ') || 'enrolled'}</span> : <span className="badge muted">No MFA</span>}
      {mfa.enrollmentRequired && <span className="badge warn">Setup required</span>}
      {mfa.locked && <span className="badge danger">Locked out</span>}
    </span>
  );
}
