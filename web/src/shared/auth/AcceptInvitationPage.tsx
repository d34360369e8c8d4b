import { useEffect, useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { auth, type ApiError } from '../../api.js';
import { Field } from '../Field.js';
import { FormError } from '../FormError.js';
import { Loading } from '../Loading.js';
import { useAction } from '../useAction.js';
import { useSession } from '../session.js';
import { basePath } from '../paths.js';
import { useTitle } from '../useTitle.js';

interface Invitation {
  email: string;
  name: string;
  firstAdmin: boolean;
}

/**
 * Accepts an invitation (or, in the console, the first admin's setup link): greets the person
 * from a POST lookup, then sets name and password. The first admin also chooses the email
 * address, since the server made the account up. Accepting does not sign in.
 */
export function AcceptInvitationPage({ setup = false }: { setup?: boolean }): ReactNode {
  const { audience } = useSession();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [invitation, setInvitation] = useState<Invitation | null>(null);
  const [lookupError, setLookupError] = useState<ApiError | Error | null>(null);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [acceptedEmail, setAcceptedEmail] = useState<string | null>(null);
  const action = useAction();
  useTitle(setup ? 'Set up Portico' : 'Accept your invitation', audience === 'staff' ? 'Portico console' : 'Help Center');

  useEffect(() => {
    if (!token) return;
    auth
      .lookupInvitation(audience, token)
      .then((info) => {
        setInvitation(info);
        setName(info.name);
        setEmail(info.firstAdmin ? '' : info.email);
      })
      .catch((err: ApiError) => setLookupError(err));
  }, [audience, token]);

  const firstAdmin = setup || invitation?.firstAdmin === true;

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    await action.run(async () => {
      const body = { token, password, name, ...(firstAdmin && audience === 'staff' ? { email } : {}) };
      const r = await auth.acceptInvitation(audience, body);
      setAcceptedEmail(r.email);
    });
  }

  const heading = firstAdmin ? 'Set up your administrator account' : 'Accept your invitation';
  if (!token || lookupError) {
    return (
      <section className="card narrow">
        <h1>{heading}</h1>
        <p role="alert" className="error">
          {lookupError ? 'This link is not valid any more: it was already used or it expired.' : 'This link is incomplete.'}{' '}
          {audience === 'staff' ? 'Ask an administrator for a new invitation.' : 'Ask the support team for a new invitation.'}
        </p>
      </section>
    );
  }
  if (!invitation) return <Loading />;
  if (acceptedEmail) {
    return (
      <section className="card narrow">
        <h1>{heading}</h1>
        <p role="status" className="success">
          Your account is ready. Sign in as {acceptedEmail}.
        </p>
        <Link className="button" to={`${basePath(audience)}/sign-in`}>
          Sign in
        </Link>
      </section>
    );
  }
  return (
    <section className="card narrow">
      <h1>{heading}</h1>
      <p>{firstAdmin ? 'Welcome to Portico. Choose the email address, name and password of the first administrator.' : `Welcome, ${invitation.name}. Choose a password for ${invitation.email}.`}</p>
      <form onSubmit={submit} noValidate>
        {firstAdmin && audience === 'staff' && <Field label="Email" error={action.error} apiField="email" type="email" autoComplete="email" value={email} onChange={setEmail} required autoFocus />}
        <Field label="Name" error={action.error} apiField="name" autoComplete="name" value={name} onChange={setName} required />
        <Field label="Password" error={action.error} apiField="password" type="password" autoComplete="new-password" value={password} onChange={setPassword} required minLength={8} hint="At least 8 characters." />
        <FormError error={action.error} />
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Saving…' : firstAdmin ? 'Create administrator account' : 'Accept invitation'}
        </button>
      </form>
    </section>
  );
}
