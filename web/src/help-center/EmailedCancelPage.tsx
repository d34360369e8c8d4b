import { useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { request } from '../api.js';
import { FormError } from '../shared/FormError.js';
import { useAction } from '../shared/useAction.js';
import { useTitle } from '../shared/useTitle.js';

interface Props {
  title: string;
  explanation: string;
  button: string;
  done: string;
  endpoint: string;
}

/**
 * A page opened from an emailed "it was not me" link. Opening it changes nothing: only the
 * button POSTs the token, so a mail scanner that follows links cancels nothing.
 */
function EmailedCancelPage({ title, explanation, button, done, endpoint }: Props): ReactNode {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [cancelled, setCancelled] = useState(false);
  const action = useAction();
  useTitle(title);

  async function cancel() {
    if (await action.run(() => request('POST', endpoint, { token }))) setCancelled(true);
  }

  return (
    <section className="card narrow">
      <h1>{title}</h1>
      {cancelled ? (
        <>
          <p role="status" className="success">
            {done}
          </p>
          <p>
            To be safe, <Link to="/forgot-password">change your password</Link>: whoever asked knew it or is trying to guess it.
          </p>
        </>
      ) : (
        <>
          <p>{explanation}</p>
          {!token && (
            <p role="alert" className="error">
              This link is incomplete. Open the link from the email again.
            </p>
          )}
          <FormError error={action.error} />
          <button type="button" className="danger" onClick={cancel} disabled={action.busy || !token}>
            {action.busy ? 'Cancelling…' : button}
          </button>
        </>
      )}
    </section>
  );
}

/** /pending-actions/cancel?token=…: stops a change support scheduled during the waiting period. */
export function CancelPendingActionPage(): ReactNode {
  return (
    <EmailedCancelPage
      title="Cancel a scheduled change"
      explanation="Our support team scheduled a change to your two-step verification at someone's request. If you did not ask for it, cancel it now: nothing will change on your account."
      button="Cancel the change"
      done="Cancelled. Nothing will change on your account, and our support team has been told."
      endpoint="/api/v1/auth/pending-actions/cancel"
    />
  );
}

/** /recovery-requests/cancel?token=…: closes an account-recovery request opened in the customer's name. */
export function CancelRecoveryRequestPage(): ReactNode {
  return (
    <EmailedCancelPage
      title="Cancel a recovery request"
      explanation="Someone who signed in with your password asked our support team to help them past your two-step verification. If it was not you, cancel the request: support will not act on it."
      button="It was not me: cancel the request"
      done="The request is cancelled and marked as suspicious for our support team."
      endpoint="/api/v1/auth/recovery-requests/cancel"
    />
  );
}
