import { useState, type ReactNode } from 'react';
import { ConfirmButton } from '../ConfirmButton.js';
import { Field } from '../Field.js';
import { FormError } from '../FormError.js';
import { formatDateTime } from '../format.js';
import { useAction } from '../useAction.js';
import { useSession } from '../session.js';
import { METHOD_LABELS, mfaApi, type Factor } from './mfa-api.js';
import { StepUpCancelled, type StepUpGuard } from './useStepUp.js';

interface FactorRowProps {
  factor: Factor;
  /** The only factor left: removing it turns two-step verification off and voids the recovery codes. */
  last: boolean;
  /** Two-step verification is required of this person: the last factor cannot be removed (the API answers 409). */
  required: boolean;
  recoveryCodesLeft: number;
  /** Browsers the person has remembered: removing the last method forgets them all (removeMyFactor). */
  rememberedBrowsers: number;
  guard: StepUpGuard['guard'];
  onChanged(message: string): void;
}

/** One sign-in method with rename and remove (which says what it will remove first). */
export function FactorRow({ factor, last, required, recoveryCodesLeft, rememberedBrowsers: remembered, guard, onChanged }: FactorRowProps): ReactNode {
  const { audience } = useSession();
  const api = mfaApi(audience);
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(factor.name);
  const action = useAction();
  const kind = METHOD_LABELS[factor.type];
  const codes = `your ${recoveryCodesLeft} recovery code${recoveryCodesLeft === 1 ? ' is' : 's are'}`;
  const browsers = `${remembered} remembered browser${remembered === 1 ? ' is' : 's are'}`;
  const question = !last
    ? `This removes the ${kind.toLowerCase()} “${factor.name}”; you can no longer sign in with it.`
    : remembered > 0
      ? `This removes “${factor.name}”, your last method: two-step verification turns off, ${codes} deleted and ${browsers} forgotten too.`
      : `This removes “${factor.name}”, your last method: two-step verification turns off and ${codes} deleted too.`;

  async function rename(e: React.FormEvent) {
    e.preventDefault();
    if (await action.run(() => api.renameFactor(factor.id, name.trim()))) {
      setRenaming(false);
      onChanged(`Renamed to “${name.trim()}”`);
    }
  }
  async function remove() {
    if (await action.run(() => guard(() => api.removeFactor(factor.id)))) onChanged(`Removed “${factor.name}”`);
  }

  return (
    <tr>
      <td data-label="Type">
        {kind}
        {factor.authenticator && <span className="muted"> ({factor.authenticator})</span>}
      </td>
      <td data-label="Name">
        {renaming ? (
          <form className="inline-form" onSubmit={rename} aria-label={`Rename ${factor.name}`}>
            <Field label={`New name for ${factor.name}`} error={action.error} apiField="name" value={name} onChange={setName} maxLength={100} required autoFocus />
            <button type="submit" disabled={action.busy || !name.trim()}>
              Save
            </button>
            <button type="button" className="secondary" onClick={() => setRenaming(false)}>
              Cancel
            </button>
          </form>
        ) : (
          factor.name
        )}
      </td>
      <td data-label="Added">{formatDateTime(factor.createdAt)}</td>
      <td data-label="Last used">{factor.lastUsedAt ? formatDateTime(factor.lastUsedAt) : 'Never'}</td>
      <td data-label="Actions">
        <div className="actions">
          {!renaming && (
            <button type="button" className="secondary" aria-label={`Rename ${factor.name}`} onClick={() => setRenaming(true)}>
              Rename
            </button>
          )}
          {last && required ? (
            <button type="button" className="danger secondary" disabled aria-describedby={`keep-${factor.id}`}>
              Remove {factor.name}
            </button>
          ) : (
            <ConfirmButton label={`Remove ${factor.name}`} question={question} confirmLabel="Yes, remove" disabled={action.busy} onConfirm={remove} />
          )}
        </div>
        {last && required && (
          <p className="hint" id={`keep-${factor.id}`}>
            {audience === 'staff'
              ? 'Supervisors and administrators must use two-step verification: add another method before you remove this one.'
              : 'This help center requires two-step verification: add another method before you remove this one.'}
          </p>
        )}
        <FormError error={action.error instanceof StepUpCancelled ? null : action.error} />
      </td>
    </tr>
  );
}
