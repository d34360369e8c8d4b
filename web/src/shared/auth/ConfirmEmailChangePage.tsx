import { useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { auth } from '../../api.js';
import { FormError } from '../FormError.js';
import { useAction } from '../useAction.js';
import { useSession } from '../session.js';
import { basePath } from '../paths.js';
import { useTitle } from '../useTitle.js';

/** Confirms a new email address with a button (a POST), never on the link's GET alone. */
export function ConfirmEmailChangePage(): ReactNode {
  const { audience, refresh } = useSession();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [done, setDone] = useState(false);
  const action = useAction();
  useTitle('Confirm your new email address');

  async function confirm() {
    if (
      await action.run(async () => {
        await auth.confirmEmailChange(audience, token);
        await refresh();
      })
    )
      setDone(true);
  }

  return (
    <section className="card narrow">
      <h1>Confirm your new email address</h1>
      {done ? (
        <>
          <p role="status" className="success">
            Your email address has been changed.
          </p>
          <Link to={basePath(audience) || '/'}>Continue</Link>
        </>
      ) : (
        <>
          <p>Confirm that you want to use this address for your account from now on.</p>
          <FormError error={action.error} />
          <button type="button" onClick={confirm} disabled={action.busy || !token}>
            {action.busy ? 'Confirming…' : 'Confirm new email address'}
          </button>
        </>
      )}
    </section>
  );
}
