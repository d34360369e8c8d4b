import { useState, type ReactNode } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { auth } from '../../api.js';
import { Field } from '../Field.js';
import { FormError } from '../FormError.js';
import { useAction } from '../useAction.js';
import { useSession } from '../session.js';
import { basePath, pathForState } from '../paths.js';
import { useTitle } from '../useTitle.js';

/**
 * Password sign-in for either audience. After the password step the server says which state
 * the session is in, and the page goes where that state leads (pathForState): the second step,
 * enrollment, or the app.
 */
export function SignInPage({ title, footer }: { title: string; footer?: ReactNode }): ReactNode {
  const { audience, session, refresh } = useSession();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  useTitle('Sign in', audience === 'staff' ? 'Portico console' : 'Help Center');
  const next = params.get('next');

  if (session && session.state !== 'anonymous' && !action.busy) {
    return <Navigate to={pathForState(audience, session.state, next)} replace />;
  }

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    await action.run(async () => {
      const result = await auth.login(audience, email, password);
      // The session id changed: fetch the new state (and CSRF token) before going on.
      await refresh();
      navigate(pathForState(audience, result.state, next), { replace: true });
    });
  }

  return (
    <section className="card narrow">
      <h1>{title}</h1>
      <form onSubmit={submit} noValidate>
        <Field label="Email" error={action.error} apiField="email" type="email" autoComplete="username" value={email} onChange={setEmail} required autoFocus />
        <Field label="Password" error={action.error} apiField="password" type="password" autoComplete="current-password" value={password} onChange={setPassword} required />
        <FormError error={action.error} />
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="links">
        <Link to={`${basePath(audience)}/forgot-password`}>Forgot your password?</Link>
      </p>
      {footer}
    </section>
  );
}
