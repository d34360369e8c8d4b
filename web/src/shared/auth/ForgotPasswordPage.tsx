import { useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { auth } from '../../api.js';
import { Field } from '../Field.js';
import { FormError } from '../FormError.js';
import { useAction } from '../useAction.js';
import { useSession } from '../session.js';
import { basePath } from '../paths.js';
import { useTitle } from '../useTitle.js';

/** Asks for a reset link; the answer is the same whether or not the address has an account. */
export function ForgotPasswordPage(): ReactNode {
  const { audience } = useSession();
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const action = useAction();
  useTitle('Forgot password');

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (await action.run(() => auth.forgotPassword(audience, email))) setSent(true);
  }

  return (
    <section className="card narrow">
      <h1>Reset your password</h1>
      {sent ? (
        <p role="status" className="success">
          If an account uses {email}, we have emailed it a link to choose a new password. The link works once, for one hour.
        </p>
      ) : (
        <form onSubmit={submit} noValidate>
          <p>Enter your email address and we will send you a link to choose a new password.</p>
          <Field label="Email" error={action.error} apiField="email" type="email" autoComplete="email" value={email} onChange={setEmail} required autoFocus />
          <FormError error={action.error} />
          <button type="submit" disabled={action.busy}>
            {action.busy ? 'Sending…' : 'Send reset link'}
          </button>
        </form>
      )}
      <p className="links">
        <Link to={`${basePath(audience)}/sign-in`}>Back to sign in</Link>
      </p>
    </section>
  );
}
