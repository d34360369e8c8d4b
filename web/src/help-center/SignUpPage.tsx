import { useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { helpCenter } from '../api.js';
import { Field } from '../shared/Field.js';
import { FormError } from '../shared/FormError.js';
import { LoadFailed } from '../shared/LoadFailed.js';
import { Loading } from '../shared/Loading.js';
import { useAction } from '../shared/useAction.js';
import { useTitle } from '../shared/useTitle.js';
import { useHelpCenterSettings } from './useHelpCenterSettings.js';

/** Customer sign-up; the account works after the emailed link confirms the address. */
export function SignUpPage(): ReactNode {
  const { settings, error: settingsError, retry } = useHelpCenterSettings();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const action = useAction();
  useTitle('Sign up');

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (await action.run(() => helpCenter.signup({ name, email, password }))) setDone(true);
  }

  if (!settings) {
    return settingsError ? (
      <section className="card narrow">
        <h1>Sign up</h1>
        <LoadFailed error={settingsError} what="the sign-up form" onRetry={retry} />
      </section>
    ) : (
      <Loading />
    );
  }
  if (!settings.allowSignup) {
    return (
      <section className="card narrow">
        <h1>Sign up</h1>
        <p>This help center does not take sign-ups. Ask the support team for an invitation.</p>
        <Link to="/sign-in">Sign in</Link>
      </section>
    );
  }
  return (
    <section className="card narrow">
      <h1>Create your account</h1>
      {done ? (
        <p role="status" className="success">
          Check your email: we sent a link to {email} to confirm the address. Open it, then sign in.
        </p>
      ) : (
        <form onSubmit={submit} noValidate>
          <Field label="Name" error={action.error} apiField="name" autoComplete="name" value={name} onChange={setName} required autoFocus />
          <Field label="Email" error={action.error} apiField="email" type="email" autoComplete="email" value={email} onChange={setEmail} required />
          <Field label="Password" error={action.error} apiField="password" type="password" autoComplete="new-password" value={password} onChange={setPassword} required minLength={8} hint="At least 8 characters." />
          <FormError error={action.error} />
          <button type="submit" disabled={action.busy}>
            {action.busy ? 'Creating…' : 'Create account'}
          </button>
        </form>
      )}
      <p className="links">
        Already have an account? <Link to="/sign-in">Sign in</Link>
      </p>
    </section>
  );
}
