import type { ReactNode } from 'react';
import { Navigate } from 'react-router';
import { useSession } from '../session.js';
import { pathForState } from '../paths.js';
import { Loading } from '../Loading.js';
import { SignOutButton } from '../SignOutButton.js';

/**
 * Setting up a second factor before anything else (state `enrollment_required`). A
 * placeholder: the MFA feature replaces the body with its enrollment forms.
 */
export function EnrollmentPage(): ReactNode {
  const { audience, session } = useSession();
  if (!session) return <Loading />;
  if (session.state !== 'enrollment_required') return <Navigate to={pathForState(audience, session.state)} replace />;
  return (
    <section className="card narrow">
      <h1>Set up two-step verification</h1>
      <p>Your account needs a second factor, such as an authenticator app or a passkey, before you can continue.</p>
      <SignOutButton label="Sign out" />
    </section>
  );
}
