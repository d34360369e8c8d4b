import { useEffect, useState, type ReactNode } from 'react';
import { Navigate, useNavigate } from 'react-router';
import { Loading } from '../Loading.js';
import { SignOutButton } from '../SignOutButton.js';
import { useSession } from '../session.js';
import { useTitle } from '../useTitle.js';
import { useLoad } from '../useLoad.js';
import { useHelpCenterSettings } from '../../help-center/useHelpCenterSettings.js';
import { pathForState } from '../paths.js';
import { AddAuthenticator } from '../mfa/AddAuthenticator.js';
import { AddPasskey } from '../mfa/AddPasskey.js';
import { RecoveryCodes } from '../mfa/RecoveryCodes.js';
import { METHOD_LABELS, mfaApi, type EnrollmentAnswer } from '../mfa/mfa-api.js';
import { useStepUp } from '../mfa/useStepUp.js';
import { VerifyEmailNotice } from '../account/VerifyEmailNotice.js';
import { NOT_REMEMBERED } from './SecondStepPage.js';

/**
 * Setting up a second factor before anything else (state `enrollment_required`). Confirming the
 * factor turns the session into a full one; the recovery codes are shown before going on.
 */
export function EnrollmentPage(): ReactNode {
  const { audience, session, refresh } = useSession();
  const navigate = useNavigate();
  // An enrollment-only session never needs a step-up; the guard is there for the shared forms.
  const stepUp = useStepUp({ totp: false, webauthn: false });
  const [codes, setCodes] = useState<string[] | null>(null);
  // Read once: the second-step page leaves it when the browser asked to be remembered.
  const [notRemembered] = useState(() => sessionStorage.getItem(NOT_REMEMBERED) === '1');
  useEffect(() => sessionStorage.removeItem(NOT_REMEMBERED), []);
  const { settings } = useHelpCenterSettings();
  // Why a setup is asked for: the factors still on the account mean support (or an admin) asked
  // for a new one, through "Require setup" or a temporary code; they go once the new one is set up.
  const overview = useLoad(() => mfaApi(audience).overview(), [audience]);
  const current = overview.data?.factors ?? [];
  const askedBySupport = current.length > 0 || overview.data?.enrollmentRequired === true;
  useTitle('Set up two-step verification', audience === 'staff' ? 'Portico console' : 'Help Center');

  async function enter() {
    const s = await refresh();
    navigate(pathForState(audience, s?.state ?? 'authenticated'), { replace: true });
  }
  function added(answer: EnrollmentAnswer) {
    if (answer.recoveryCodes?.length) setCodes(answer.recoveryCodes);
    else void enter();
  }

  if (codes) {
    return (
      <div className="narrow">
        <p role="status" className="success">
          Two-step verification is on.
        </p>
        <RecoveryCodes codes={codes} onDone={enter} doneLabel={audience === 'staff' ? 'Continue to the console' : 'Continue to the Help Center'} />
      </div>
    );
  }
  if (!session) return <Loading />;
  if (session.state !== 'enrollment_required') return <Navigate to={pathForState(audience, session.state)} replace />;
  return (
    <section className="card narrow">
      <h1>Set up two-step verification</h1>
      {overview.loading && !overview.data && !overview.error ? (
        <Loading />
      ) : askedBySupport ? (
        <>
          <p>
            {audience === 'staff' ? 'An administrator asked you to set up two-step verification again.' : 'Our support team asked you to set up two-step verification again.'} Add a new
            authenticator app or passkey to continue.
          </p>
          {current.length > 0 && (
            <p className="notice">
              Your current {current.length === 1 ? 'method' : 'methods'} ({current.map((f) => `${f.name} — ${METHOD_LABELS[f.type].toLowerCase()}`).join(', ')}){' '}
              will be removed once the new one is set up.
            </p>
          )}
        </>
      ) : (
        <p>
          {audience === 'staff'
            ? 'Supervisors and administrators can change other people’s security settings, so they must use a second factor.'
            : settings?.mfaPolicy === 'required'
              ? 'This help center asks every customer to use a second factor.'
              : 'Our support team asked you to set up two-step verification.'}{' '}
          Add an authenticator app or a passkey to continue.
        </p>
      )}
      {notRemembered && <p className="hint">This browser was not remembered: a sign-in that leads to a new setup never is. You can ask again at your next sign-in.</p>}
      {session.contact && !session.contact.emailVerified ? (
        // A second factor is set up only on a confirmed address (PRODUCT.md §2): first the link.
        <>
          <VerifyEmailNotice what="before you set up two-step verification" />
          <div className="actions">
            <button type="button" onClick={() => void refresh()}>
              I have confirmed it
            </button>
          </div>
        </>
      ) : (
        <>
          <AddAuthenticator guard={stepUp.guard} onAdded={added} />
          <p className="muted or">or</p>
          <AddPasskey guard={stepUp.guard} onAdded={added} />
          {stepUp.dialog}
        </>
      )}
      <div className="actions spaced">
        <SignOutButton label="Sign out" />
      </div>
    </section>
  );
}
