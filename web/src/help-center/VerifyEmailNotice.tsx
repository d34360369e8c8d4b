import { useState, type ReactNode } from 'react';
import { helpCenter } from '../api.js';
import { FormError } from '../shared/FormError.js';
import { useAction } from '../shared/useAction.js';

/** Says why tickets are not open yet, and re-sends the confirmation email. */
export function VerifyEmailNotice(): ReactNode {
  const [sent, setSent] = useState(false);
  const action = useAction();
  return (
    <div className="notice" role="region" aria-label="Email not confirmed">
      <p>Confirm your email address to open tickets. We sent you a link when you signed up.</p>
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
