import { useState, type ReactNode } from 'react';
import { Field } from '../Field.js';
import { FormError } from '../FormError.js';
import { useAction } from '../useAction.js';
import { useSession } from '../session.js';
import { CodeField } from './CodeField.js';
import { mfaApi, type EnrollmentAnswer, type TOTPStart } from './mfa-api.js';
import { StepUpCancelled, type StepUpGuard } from './useStepUp.js';

/** The secret in groups of four, easier to read out and type. */
export function groupSecret(secret: string): string {
  return secret.replace(/\s+/g, '').match(/.{1,4}/g)?.join(' ') ?? secret;
}

/**
 * Adds an authenticator app: the server's QR code (an SVG string, shown as a data: image since
 * the CSP allows no inline script or style), the secret as text, and behind a disclosure the
 * `otpauth://` URI the QR code holds (PRODUCT.md §3: "shown as a QR code and as text"), also
 * as a link, which opens the authenticator app on a phone; then a code to confirm.
 */
export function AddAuthenticator({ guard, onAdded, onCancel }: { guard: StepUpGuard['guard']; onAdded(a: EnrollmentAnswer): void; onCancel?(): void }): ReactNode {
  const { audience } = useSession();
  const api = mfaApi(audience);
  const [started, setStarted] = useState<TOTPStart | null>(null);
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const action = useAction();

  async function start() {
    await action.run(async () => setStarted(await guard(() => api.beginTOTP())));
  }
  async function confirm(e: React.FormEvent) {
    e.preventDefault();
    if (!started) return;
    let answer: EnrollmentAnswer | null = null;
    const ok = await action.run(async () => {
      answer = await guard(() => api.confirmTOTP(started.factorId, code.trim(), name.trim() || undefined));
    });
    if (ok && answer) onAdded(answer);
    else setCode('');
  }
  const error = action.error instanceof StepUpCancelled ? null : action.error;

  if (!started) {
    return (
      <div className="add-factor">
        <button type="button" onClick={start} disabled={action.busy}>
          Add an authenticator app
        </button>
        <FormError error={error} />
      </div>
    );
  }
  return (
    <form className="add-factor card inset" aria-label="Add an authenticator app" onSubmit={confirm}>
      <h3>Add an authenticator app</h3>
      <ol className="steps">
        <li>Open your authenticator app (such as Google Authenticator, Microsoft Authenticator, 1Password or Authy) and add an account.</li>
        <li>
          Scan this QR code:
          <img className="qr" src={`data:image/svg+xml;utf8,${encodeURIComponent(started.qrSvg)}`} alt="QR code for your authenticator app" width={180} height={180} />
          <span className="muted">Or type this key instead:</span>
          <code className="secret" aria-label="Setup key">
            {groupSecret(started.secret)}
          </code>
          <details className="setup-link">
            <summary>Show the setup link</summary>
            <span className="muted">The key and its settings as one link, for apps that take one:</span>
            <code className="otpauth-uri" aria-label="Setup link">
              {started.otpauthUri}
            </code>
            <a href={started.otpauthUri}>Open in your authenticator app</a> <span className="muted">(on the phone that has the app)</span>
          </details>
        </li>
        <li>Enter the 6-digit code the app shows.</li>
      </ol>
      <CodeField label="6-digit code from the app" error={error} value={code} onChange={setCode} autoFocus />
      <Field label="Name (optional)" error={error} apiField="name" value={name} onChange={setName} maxLength={100} hint="For example “Work phone”, to tell your methods apart." />
      <FormError error={error} />
      <div className="actions">
        <button type="submit" disabled={action.busy || code.length !== 6}>
          {action.busy ? 'Checking…' : 'Confirm and turn on'}
        </button>
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
