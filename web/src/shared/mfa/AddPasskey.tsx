import { useState, type ReactNode } from 'react';
import { Field } from '../Field.js';
import { FormError } from '../FormError.js';
import { useAction } from '../useAction.js';
import { useSession } from '../session.js';
import { mfaApi, type EnrollmentAnswer } from './mfa-api.js';
import { createPasskey } from './passkeys.js';
import { StepUpCancelled, type StepUpGuard } from './useStepUp.js';

/** Adds a passkey or security key: the browser creates it for the server's options. */
export function AddPasskey({ guard, onAdded }: { guard: StepUpGuard['guard']; onAdded(a: EnrollmentAnswer): void }): ReactNode {
  const { audience } = useSession();
  const api = mfaApi(audience);
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const action = useAction();
  const supported = typeof window !== 'undefined' && 'PublicKeyCredential' in window;

  async function add(e: React.FormEvent) {
    e.preventDefault();
    let answer: EnrollmentAnswer | null = null;
    const ok = await action.run(async () => {
      // The step-up is asked for before the browser creates anything: the options call checks it.
      const options = await guard(() => api.passkeyOptions());
      answer = await api.addPasskey(await createPasskey(options), name.trim() || undefined);
    });
    if (ok && answer) {
      setOpen(false);
      setName('');
      onAdded(answer);
    }
  }
  const error = action.error instanceof StepUpCancelled ? null : action.error;

  if (!supported) return <p className="muted">This browser cannot use passkeys.</p>;
  if (!open) {
    return (
      <div className="add-factor">
        <button type="button" className="secondary" onClick={() => setOpen(true)}>
          Add a passkey
        </button>
      </div>
    );
  }
  return (
    <form className="add-factor card inset" aria-label="Add a passkey" onSubmit={add}>
      <h3>Add a passkey or security key</h3>
      <p className="muted">Your browser will ask you to use your fingerprint, face, screen lock or a security key.</p>
      <Field label="Passkey name (optional)" error={error} apiField="name" value={name} onChange={setName} maxLength={100} hint="For example “Laptop” or “YubiKey”." />
      <FormError error={error} labels={{ name: 'Passkey name' }} />
      <div className="actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Waiting for your passkey…' : 'Create passkey'}
        </button>
        <button type="button" className="secondary" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
