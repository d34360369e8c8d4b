import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useSession } from '../session.js';
import { basePath } from '../paths.js';

/** The account page's way to the Security page (two-step verification and activity). */
export function SecurityLinkCard(): ReactNode {
  const { audience } = useSession();
  return (
    <section className="card" aria-labelledby="security-link-title">
      <h2 id="security-link-title">Security</h2>
      <p>Two-step verification, recovery codes, remembered browsers and recent security activity.</p>
      <Link className="button" to={`${basePath(audience)}/account/security`}>
        Manage security
      </Link>
    </section>
  );
}
