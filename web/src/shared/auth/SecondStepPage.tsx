import { useState, type ReactNode } from 'react';
import { Link, Navigate, useNavigate } from 'react-router';
import { auth } from '../../api.js';
import { Loading } from '../Loading.js';
import { SignOutButton } from '../SignOutButton.js';
import { useAction } from '../useAction.js';
import { useSession } from '../session.js';
import { useTitle } from '../useTitle.js';
import { basePath, pathForState } from '../paths.js';
import { useHelpCenterSettings } from '../../help-center/useHelpCenterSettings.js';
import { CodeField } from '../mfa/CodeField.js';
import { SecondStepError } from '../mfa/SecondStepError.js';
import { SetupLinkNotice } from '../mfa/SetupLinkNotice.js';
import { METHOD_LABELS, mfaApi, type SecondFactor } from '../mfa/mfa-api.js';
import { signWithPasskey } from '../mfa/passkeys.js';

type Method = 'totp' | 'webauthn' | 'recovery_code' | 'temporary_code';
const ORDER: Method[] = ['totp', 'webauthn', 'recovery_code', 'temporary_code'];

const CODE_LABELS: Record<Exclude<Method, 'webauthn'>, string> = {
  totp: '6-digit code from your authenticator app',
  recovery_code: 'Recovery code',
  temporary_code: 'Temporary access code',
};

/** Set when "Remember this browser" was asked for a sign-in that led to a required setup. */
export const NOT_REMEMBERED = 'portico.notRemembered';

/** The second sign-in step (state `mfa_required`): a code, a passkey, or a recovery code. */
export function SecondStepPage(): ReactNode {
  const { audience, session, refresh } = useSession();
  const { settings } = useHelpCenterSettings();
  const navigate = useNavigate();
  const action = useAction();
  const offered = ORDER.filter((m) => session?.methods?.includes(m));
  const [chosen, setChosen] = useState<Method | null>(null);
  const [code, setCode] = useState('');
  const [remember, setRemember] = useState(false);
  useTitle('Two-step verification', audience === 'staff' ? 'Portico console' : 'Help Center');

  if (!session) return <Loading />;
  if (session.state !== 'mfa_required') return <Navigate to={pathForState(audience, session.state)} replace />;
  const method = chosen && offered.includes(chosen) ? chosen : offered[0];
  const setupLink = session.methods?.includes('setup_link') ?? false;
  const rememberDays = audience === 'contact' ? (settings?.rememberDeviceDays ?? 0) : 0;
  // A temporary code leads to enrollment, never to a remembered browser.
  const canRemember = rememberDays > 0 && method !== 'temporary_code';
  const api = mfaApi(audience);

  async function finish(factorOf: () => Promise<SecondFactor>) {
    const ok = await action.run(async () => {
      const factor = await factorOf();
      const result = await api.verify(canRemember && remember ? { ...factor, rememberDevice: true } : factor);
      // A sign-in that leads to a required new setup never remembers the browser (the server
      // ignores the request there, and this page cannot know beforehand): the set-up page says so.
      if (canRemember && remember && result.state === 'enrollment_required') sessionStorage.setItem(NOT_REMEMBERED, '1');
      await refresh();
      navigate(pathForState(audience, result.state), { replace: true });
    });
    if (!ok) setCode('');
  }
  const passkey = () => finish(async () => ({ method: 'webauthn', response: await signWithPasskey(await api.signInPasskeyOptions()) }));
  async function restart() {
    await auth.logout(audience).catch(() => undefined);
    await refresh();
    navigate(`${basePath(audience)}/sign-in`, { replace: true });
  }
  function choose(m: Method) {
    setChosen(m);
    setCode('');
    action.clear();
  }

  return (
    <section className="card narrow">
      <h1>Two-step verification</h1>
      {setupLink && <SetupLinkNotice audience={audience} temporaryCode={offered.includes('temporary_code')} />}
      {!setupLink && <p>Your password was correct. Confirm it is you with one of your sign-in methods.</p>}
      {offered.length > 1 && (
        <div className="method-choice" role="group" aria-label="Choose a method">
          {offered.map((m) => (
            <button key={m} type="button" className={m === method ? 'chip active' : 'chip'} aria-pressed={m === method} onClick={() => choose(m)}>
              {METHOD_LABELS[m]}
            </button>
          ))}
        </div>
      )}
      {method === 'webauthn' ? (
        <div className="second-step-form">
          <p>Use the passkey or security key you added to your account.</p>
          {canRemember && <RememberCheckbox days={rememberDays} checked={remember} onChange={setRemember} />}
          <SecondStepError error={action.error} onRestart={restart} />
          <button type="button" disabled={action.busy} onClick={passkey}>
            {action.busy ? 'Waiting for your passkey…' : 'Use your passkey'}
          </button>
        </div>
      ) : method ? (
        <form
          className="second-step-form"
          aria-label={`Sign in with a ${METHOD_LABELS[method].toLowerCase()}`}
          onSubmit={(e) => {
            e.preventDefault();
            void finish(async () => ({ method, code: code.trim() }));
          }}
        >
          <CodeField
            key={method}
            label={CODE_LABELS[method]}
            kind={method === 'totp' ? 'otp' : 'text'}
            error={action.error}
            value={code}
            onChange={setCode}
            hint={method === 'recovery_code' ? 'Each recovery code works once.' : method === 'temporary_code' ? 'The code support gave you. You will then set up a new method.' : undefined}
            autoFocus
          />
          {canRemember && <RememberCheckbox days={rememberDays} checked={remember} onChange={setRemember} />}
          <SecondStepError error={action.error} onRestart={restart} />
          <button type="submit" disabled={action.busy || !code.trim()}>
            {action.busy ? 'Checking…' : 'Verify'}
          </button>
        </form>
      ) : null}
      <p className="links">
        <Link to={`${basePath(audience)}/sign-in/help`}>Can't use any of your methods?</Link>
      </p>
      <div className="actions spaced">
        <SignOutButton label="Cancel and sign out" />
      </div>
    </section>
  );
}

function RememberCheckbox({ days, checked, onChange }: { days: number; checked: boolean; onChange(v: boolean): void }): ReactNode {
  return (
    <div className="field remember">
      <label>
        <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} /> Remember this browser for {days} {days === 1 ? 'day' : 'days'}
      </label>
      <small className="hint">Only on a browser you alone use. You can forget it from your account's Security page.</small>
    </div>
  );
}
