import { useState, type ReactNode } from 'react';
import { helpCenter } from '../../api.js';
import { FormError } from '../FormError.js';
import { useAction } from '../useAction.js';

/** Says what waits for the email confirmation (tickets, by default), and re-sends the email. */
export function VerifyEmailNotice({ what = 'to open tickets' }: { what?: string } = {}): ReactNode {
  const [sent, setSent] = useState(false);
  const action = useAction();
  return (
    <div className="notice" role="region" aria-label="Email not confirmed">
      <p>Confirm your email address {what}. We sent you a link when you signed up.</p>
      {sent ? (
        <p role="status" className="success">
          A new confirmation email is on its way.
        </p>
      ) : (
        <button type="button" className="secondary" disabled={action.busy} onClick={async () => setSent(await action.run(() => helpCenter.resendVerification()))}>
          Resend verification email
        </button>
      )}
      <FormError error={action.error} />
    </div>
  );
}
