import { DIALOG } from './dialog-style.js';
import { ModalDialog } from '../../shared/ModalDialog.js';
import { useState, type ReactNode } from 'react';
import { startAuthentication } from '@simplewebauthn/browser';
import { Field } from '../../shared/Field.js';
import { FormError } from '../../shared/FormError.js';
import { useAction } from '../../shared/useAction.js';
import { isWrongCode } from '../../shared/mfa/CodeField.js';
import { stepUpApi } from './toolkit-api.js';

/**
 * The staff member confirms their own second factor again (a step-up, valid 5 minutes) before
 * an MFA action on someone else. Shown when the API answers `step_up_required`.
 */
export function StepUpDialog({ onDone, onCancel }: { onDone(): void; onCancel(): void }): ReactNode {
  const [code, setCode] = useState('');
  // Which way the last try went: only a code's error marks the code field (a failed passkey is no wrong code).
  const [tried, setTried] = useState<'code' | 'passkey' | null>(null);
  const action = useAction();
  const codeError = tried === 'code' ? action.error : null;

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setTried('code');
    if (await action.run(() => stepUpApi.totp(code.trim()))) onDone();
  }
  async function usePasskey() {
    setTried('passkey');
    const ok = await action.run(async () => {
      const optionsJSON = (await stepUpApi.webauthnOptions()) as unknown as Parameters<typeof startAuthentication>[0]['optionsJSON'];
      await stepUpApi.webauthn(await startAuthentication({ optionsJSON }));
    });
    if (ok) onDone();
  }

  return (
    <ModalDialog labelledBy="step-up-title" onCancel={onCancel} style={{ ...DIALOG, maxWidth: '26rem' }}>
      <h2 id="step-up-title">Confirm it is you</h2>
      <p>This action needs your own second step from the last 5 minutes.</p>
      <form onSubmit={submit}>
        <Field label="Code from your authenticator app" error={codeError} apiField="code" invalid={isWrongCode(codeError)} value={code} onChange={setCode} autoComplete="one-time-code" required maxLength={10} autoFocus />
        <FormError error={action.error} />
        <div className="actions">
          <button type="submit" disabled={action.busy || !code.trim()}>
            Confirm
          </button>
          <button type="button" className="secondary" disabled={action.busy} onClick={usePasskey}>
            Use a passkey instead
          </button>
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}
