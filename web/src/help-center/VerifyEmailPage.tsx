import { useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { helpCenter } from '../api.js';
import { FormError } from '../shared/FormError.js';
import { useAction } from '../shared/useAction.js';
import { useSession } from '../shared/session.js';
import { useTitle } from '../shared/useTitle.js';

/**
 * Confirms an email address. The link's GET only shows this page; the button POSTs the token,
 * so a mail scanner that follows links confirms nothing.
 */
export function VerifyEmailPage(): ReactNode {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const { session, refresh } = useSession();
  const [done, setDone] = useState(false);
  const action = useAction();
  useTitle('Confirm your email address');

  async function confirm() {
    if (
      await action.run(async () => {
        await helpCenter.verifyEmail(token);
        await refresh();
      })
    )
      setDone(true);
  }

  return (
    <section className="card narrow">
      <h1>Confirm your email address</h1>
      {done ? (
        <>
          <p role="status" className="success">
            Thank you, your email address is confirmed.
          </p>
          {session?.state === 'authenticated' ? <Link to="/tickets">Go to my tickets</Link> : <Link className="button" to="/sign-in">Sign in</Link>}
        </>
      ) : (
        <>
          <p>Confirm this address to finish setting up your account.</p>
          {!token && (
            <p role="alert" className="error">
              This link is incomplete. Open the link from the email again.
            </p>
          )}
          <FormError error={action.error} />
          <button type="button" onClick={confirm} disabled={action.busy || !token}>
            {action.busy ? 'Confirming…' : 'Confirm my email address'}
          </button>
        </>
      )}
    </section>
  );
}
