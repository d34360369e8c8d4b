import type { ReactNode } from 'react';
import { useNavigate } from 'react-router';
import type { Audience } from '../../api.js';
import { FormError } from '../FormError.js';
import { useAction } from '../useAction.js';
import { useSession } from '../session.js';
import { basePath } from '../paths.js';
import { request } from '../../api.js';
import { forgetSetupToken, keptSetupToken } from './setup-token.js';

/**
 * After support reset someone's two-step verification, the password alone does not let them
 * in: they open the setup link emailed to them, or enter a temporary access code from support.
 */
export function SetupLinkNotice({ audience, temporaryCode }: { audience: Audience; temporaryCode: boolean }): ReactNode {
  const { refresh } = useSession();
  const navigate = useNavigate();
  const action = useAction();
  const token = keptSetupToken();
  const who = audience === 'staff' ? 'an administrator' : 'our support team';

  async function useLink() {
    const ok = await action.run(() => request('POST', `${audience === 'staff' ? '/api/v1/staff-auth' : '/api/v1/auth'}/setup-link`, { token }));
    forgetSetupToken();
    if (ok) {
      await refresh();
      navigate(`${basePath(audience)}/mfa/setup`, { replace: true });
    }
  }

  return (
    <div className="notice" role="note">
      <p>
        <strong>Your two-step verification was reset by {who}.</strong> To finish signing in, open the setup link we emailed to you (it works
        once, within 24 hours) and set up a new method.
      </p>
      {temporaryCode && <p>If {who} gave you a temporary access code, you can enter it below instead.</p>}
      {token && (
        <button type="button" onClick={useLink} disabled={action.busy}>
          Continue with the setup link
        </button>
      )}
      {/* Outside the button's condition: a link that failed (used, expired) is forgotten, and
          its error must still say why the button went. */}
      <FormError error={action.error} />
    </div>
  );
}
