import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useSession } from '../session.js';
import { useTitle } from '../useTitle.js';
import { basePath } from '../paths.js';
import { RecoveryRequestForm } from './RecoveryRequestForm.js';

/**
 * For someone who cannot use any of their second-step methods (lost phone, no recovery codes).
 * Customers who passed the password step can open a recovery request right here.
 */
export function SignInHelpPage(): ReactNode {
  const { audience, session } = useSession();
  useTitle("Can't use your sign-in methods", audience === 'staff' ? 'Portico console' : 'Help Center');
  const staff = audience === 'staff';
  return (
    <section className="card narrow">
      <h1>Can't use any of your methods?</h1>
      <p>If you lost your phone or security key and have no recovery codes left, {staff ? 'ask an administrator' : 'contact our support team'} to get back in.</p>
      <ul>
        <li>They will first confirm that you own the account, for example with a code sent to your email address.</li>
        <li>Then they can give you a temporary access code, or reset your two-step verification and email you a setup link.</li>
        <li>For your safety, support never asks for your password or your recovery codes.</li>
      </ul>
      {!staff && session?.state === 'mfa_required' && (
        <>
          <h2>Ask for help</h2>
          <RecoveryRequestForm />
        </>
      )}
      {!staff && session?.state !== 'mfa_required' && <p>Sign in with your password first; then you can ask for help from this page.</p>}
      <p className="links">
        <Link to={`${basePath(audience)}/sign-in/verify`}>Back to two-step verification</Link>
      </p>
    </section>
  );
}
