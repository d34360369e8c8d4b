import type { ReactNode } from 'react';
import { Navigate } from 'react-router';
import { useSession } from '../session.js';
import { pathForState } from '../paths.js';
import { Loading } from '../Loading.js';
import { SignOutButton } from '../SignOutButton.js';

/**
 * The second sign-in step (state `mfa_required`). A placeholder: the MFA feature replaces the
 * body with its code and passkey forms; routing already leads here from pathForState.
 */
export function SecondStepPage(): ReactNode {
  const { audience, session } = useSession();
  if (!session) return <Loading />;
  if (session.state !== 'mfa_required') return <Navigate to={pathForState(audience, session.state)} replace />;
  return (
    <section className="card narrow">
      <h1>Two-step verification</h1>
      <p>Your password was correct. Confirm it is you with your second factor ({(session.methods ?? []).join(', ') || 'none available'}).</p>
      <SignOutButton label="Cancel and sign out" />
    </section>
  );
}
