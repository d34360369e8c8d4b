import { useId, type ReactNode } from 'react';
import { Field } from '../../shared/Field.js';
import { EmailCodeCheck } from './EmailCodeCheck.js';
import type { Target, Verification, VerificationMethod } from './toolkit-api.js';
import type { StepUpGuard } from './useStepUp.js';

export interface IdentityCheckValue {
  verification: Verification;
  /** False while an emailed code is chosen but not yet confirmed. */
  ready: boolean;
}

/**
 * How the staff member checked who they are talking to (PRODUCT.md §4.6): an emailed 6-digit
 * code the person reads back, a call-back to the number on file, something else, or nothing.
 * `stepUp` is the enclosing action's step-up, which sending and confirming a code need too.
 */
export function IdentityCheck({
  target,
  person,
  value,
  onChange,
  stepUp,
  error,
}: {
  target: Target;
  person: string;
  value: IdentityCheckValue;
  onChange(v: IdentityCheckValue): void;
  stepUp?: StepUpGuard;
  /** The enclosing action's error: one that names the note marks the note's field. */
  error?: unknown;
}): ReactNode {
  const base = useId();
  const method = value.verification.method;
  const confirmed = method === 'email_code' && !!value.verification.checkId && value.ready;

  const choices: Array<[VerificationMethod, string]> = [
    ['email_code', `Email a code to ${person}`],
    ['callback', 'Called back the number on file'],
    ['other', 'Other'],
    ['none', 'None'],
  ];

  function choose(m: VerificationMethod) {
    onChange({ verification: { method: m, ...(m === 'callback' || m === 'other' ? { note: value.verification.note ?? '' } : {}) }, ready: m !== 'email_code' });
  }

  return (
    <fieldset className="identity-check">
      <legend>Identity check</legend>
      {choices.map(([m, label]) => (
        <div className="field checkbox" key={m}>
          <input type="radio" id={`${base}-${m}`} name={`${base}-identity-check`} checked={method === m} onChange={() => choose(m)} />
          <label htmlFor={`${base}-${m}`}>{label}</label>
        </div>
      ))}
      {method === 'email_code' &&
        (confirmed ? (
          <p role="status" className="success">
            Email on file verified. The check is used by this action.
          </p>
        ) : (
          <EmailCodeCheck target={target} person={person} stepUp={stepUp} onConfirmed={(checkId) => onChange({ verification: { method: 'email_code', checkId }, ready: true })} />
        ))}
      {(method === 'callback' || method === 'other') && (
        <Field
          label="Note on the check"
          error={error}
          apiField="note"
          value={value.verification.note ?? ''}
          onChange={(note) => onChange({ verification: { method, note }, ready: true })}
          maxLength={500}
          hint={method === 'callback' ? 'For example the number you called.' : 'How you checked who you are talking to.'}
        />
      )}
    </fieldset>
  );
}
