import type { ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { auth } from '../../api.js';
import { ConfirmButton } from '../ConfirmButton.js';
import { FormError } from '../FormError.js';
import { SignOutButton } from '../SignOutButton.js';
import { useAction } from '../useAction.js';
import { useSession } from '../session.js';
import { basePath } from '../paths.js';

/** Sign out here, or everywhere (every browser and device, this one included). */
export function SessionsCard(): ReactNode {
  const { audience, refresh } = useSession();
  const navigate = useNavigate();
  const action = useAction();
  async function everywhere() {
    if (await action.run(() => auth.logoutEverywhere(audience))) {
      await refresh();
      navigate(`${basePath(audience)}/sign-in`, { replace: true });
    }
  }
  return (
    <section className="card" aria-label="Sessions">
      <h2>Sessions</h2>
      <div className="actions">
        <SignOutButton />
        <ConfirmButton
          label="Sign out everywhere"
          question="This signs you out on every browser and device, this one included."
          disabled={action.busy}
          onConfirm={everywhere}
        />
      </div>
      <FormError error={action.error} />
    </section>
  );
}
