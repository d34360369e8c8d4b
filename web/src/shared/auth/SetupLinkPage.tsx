import { useEffect, type ReactNode } from 'react';
import { Link, Navigate, useSearchParams } from 'react-router';
import { Loading } from '../Loading.js';
import { useSession } from '../session.js';
import { useTitle } from '../useTitle.js';
import { basePath, pathForState } from '../paths.js';
import { keepSetupToken } from '../mfa/setup-token.js';

/**
 * The emailed setup link (/setup-mfa?token=…) after a staff reset. The token works only in a
 * pending sign-in, so it is kept for this tab and the second-step page offers to use it.
 */
export function SetupLinkPage(): ReactNode {
  const { audience, session } = useSession();
  const [params] = useSearchParams();
  const token = params.get('token');
  useTitle('Set up two-step verification', audience === 'staff' ? 'Portico console' : 'Help Center');
  useEffect(() => {
    if (token) keepSetupToken(token);
  }, [token]);

  if (!session) return <Loading />;
  if (!token) {
    return (
      <section className="card narrow">
        <h1>Set up two-step verification</h1>
        <p role="alert" className="error">This link is incomplete. Open the link from the email again.</p>
      </section>
    );
  }
  if (session.state === 'mfa_required') return <Navigate to={pathForState(audience, session.state)} replace />;
  return (
    <section className="card narrow">
      <h1>Set up two-step verification</h1>
      <p>First sign in with your email address and password. You will then be asked to continue with this setup link.</p>
      <Link className="button" to={`${basePath(audience)}/sign-in`}>
        Sign in
      </Link>
    </section>
  );
}
