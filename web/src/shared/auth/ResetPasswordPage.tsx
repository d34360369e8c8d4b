import { useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { auth } from '../../api.js';
import { Field } from '../Field.js';
import { FormError } from '../FormError.js';
import { useAction } from '../useAction.js';
import { useSession } from '../session.js';
import { basePath } from '../paths.js';
import { useTitle } from '../useTitle.js';

/** Chooses a new password from an emailed link. It never signs in: the person signs in next. */
export function ResetPasswordPage(): ReactNode {
  const { audience } = useSession();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [done, setDone] = useState(false);
  const [mismatch, setMismatch] = useState(false);
  const action = useAction();
  useTitle('Choose a new password');

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setMismatch(password !== confirm);
    if (password !== confirm) return;
    if (await action.run(() => auth.resetPassword(audience, token, password))) setDone(true);
  }

  const signIn = `${basePath(audience)}/sign-in`;
  if (!token) {
    return (
      <section className="card narrow">
        <h1>Choose a new password</h1>
        <p role="alert" className="error">This link is incomplete. Open the link from the email again, or ask for a new one.</p>
        <Link to={`${basePath(audience)}/forgot-password`}>Ask for a new link</Link>
      </section>
    );
  }
  return (
    <section className="card narrow">
      <h1>Choose a new password</h1>
      {done ? (
        <>
          <p role="status" className="success">
            Your password has been changed. Sign in with it now.
          </p>
          <Link className="button" to={signIn}>
            Sign in
          </Link>
        </>
      ) : (
        <form onSubmit={submit} noValidate>
          <Field label="New password" error={action.error} apiField="password" type="password" autoComplete="new-password" value={password} onChange={setPassword} required minLength={8} hint="At least 8 characters." autoFocus />
          <Field label="Confirm password" type="password" autoComplete="new-password" value={confirm} onChange={setConfirm} required />
          {mismatch && (
            <p role="alert" className="error">
              The two passwords are not the same.
            </p>
          )}
          <FormError error={action.error} labels={{ password: 'New password' }} />
          <button type="submit" disabled={action.busy}>
            {action.busy ? 'Saving…' : 'Set new password'}
          </button>
        </form>
      )}
    </section>
  );
}
