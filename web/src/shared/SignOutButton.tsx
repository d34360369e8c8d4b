import type { ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { auth } from '../api.js';
import { useSession } from './session.js';
import { useAction } from './useAction.js';
import { basePath } from './paths.js';
import { FormError } from './FormError.js';

/** Signs out of this browser's session of the current audience. */
export function SignOutButton({ label = 'Sign out', className = 'secondary' }: { label?: string; className?: string }): ReactNode {
  const { audience, refresh } = useSession();
  const navigate = useNavigate();
  const action = useAction();
  async function signOut() {
    const ok = await action.run(() => auth.logout(audience));
    if (ok) {
      await refresh();
      navigate(`${basePath(audience)}/sign-in`, { replace: true });
    }
  }
  return (
    <>
      <button type="button" className={className} onClick={signOut} disabled={action.busy}>
        {label}
      </button>
      <FormError error={action.error} />
    </>
  );
}
