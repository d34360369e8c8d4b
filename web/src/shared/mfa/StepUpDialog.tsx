import { useState, type ReactNode } from 'react';
import { FormError } from '../FormError.js';
import { ModalDialog } from '../ModalDialog.js';
import { useAction } from '../useAction.js';
import { useSession } from '../session.js';
import { CodeField } from './CodeField.js';
import { mfaApi } from './mfa-api.js';
import { signWithPasskey } from './passkeys.js';

export interface StepUpMethods {
  totp: boolean;
  webauthn: boolean;
}

/**
 * Confirms the second factor again (a step-up, valid 5 minutes) before changing one's own MFA.
 * Shown inline when the API answers `step_up_required`; the action is retried afterwards.
 */
export function StepUpDialog({ methods, onDone, onCancel }: { methods: StepUpMethods; onDone(): void; onCancel(): void }): ReactNode {
  const { audience } = useSession();
  const api = mfaApi(audience);
  const [mode, setMode] = useState<'totp' | 'recovery_code'>(methods.totp ? 'totp' : 'recovery_code');
  const [code, setCode] = useState('');
  // Which way the last try went: only a code's error marks the code field (a failed passkey is no wrong code).
  const [tried, setTried] = useState<'code' | 'passkey' | null>(null);
  const action = useAction();
  const codeError = tried === 'code' ? action.error : null;

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setTried('code');
    if (await action.run(() => api.stepUp({ method: mode, code: code.trim() }))) onDone();
  }
  async function passkey() {
    setTried('passkey');
    const ok = await action.run(async () => api.stepUp({ method: 'webauthn', response: await signWithPasskey(await api.stepUpPasskeyOptions()) }));
    if (ok) onDone();
  }

  return (
    <ModalDialog labelledBy="step-up-title" onCancel={onCancel} style={{ maxWidth: '26rem', width: 'calc(100% - 2rem)', margin: '3rem auto auto' }}>
      <h2 id="step-up-title">Confirm it is you</h2>
      <p>Changing your two-step verification needs your second factor again (it stays confirmed for 5 minutes).</p>
      <form onSubmit={submit} aria-label="Confirm with a code">
        {mode === 'totp' ? (
          <CodeField label="Code from your authenticator app" error={codeError} value={code} onChange={setCode} autoFocus />
        ) : (
          <CodeField label="Recovery code" kind="text" error={codeError} value={code} onChange={setCode} autoFocus />
        )}
        <FormError error={action.error} />
        <div className="actions">
          <button type="submit" disabled={action.busy || !code.trim()}>
            Confirm
          </button>
          {methods.webauthn && (
            <button type="button" className="secondary" disabled={action.busy} onClick={passkey}>
              Use a passkey
            </button>
          )}
          {methods.totp && (
            <button type="button" className="link-button" onClick={() => { setCode(''); setTried(null); action.clear(); setMode(mode === 'totp' ? 'recovery_code' : 'totp'); }}>
              {mode === 'totp' ? 'Use a recovery code instead' : 'Use your authenticator app instead'}
            </button>
          )}
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}
