import { useEffect, useId, useState, type ReactNode } from 'react';
import { Field } from '../../shared/Field.js';
import { ModalDialog } from '../../shared/ModalDialog.js';
import { DIALOG } from './dialog-style.js';
import { CHECK_VALID_MS, EmailCodeCheck, clockTime, useExpired } from './EmailCodeCheck.js';
import type { Target, Verification, VerificationMethod } from './toolkit-api.js';
import type { StepUpGuard } from './useStepUp.js';

export interface IdentityCheckValue {
  verification: Verification;
  /** False while an emailed code is chosen but not yet confirmed. */
  ready: boolean;
  /** A confirmed emailed check: until when (ms, browser clock) an action may record it. */
  validUntil?: number;
}

/** A confirmed emailed check, confirmed at `confirmedAt` (ms, browser clock). */
export function confirmedEmailCheck(checkId: string, confirmedAt: number): IdentityCheckValue {
  return { verification: { method: 'email_code', checkId }, ready: true, validUntil: confirmedAt + CHECK_VALID_MS };
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
  // A confirmed check left past its 30 minutes (opened from the panel, then the dialog stayed open): ask for a new code.
  const expired = useExpired(confirmed ? value.validUntil : null);
  const [lapsed, setLapsed] = useState<number | null>(null);
  useEffect(() => {
    if (!expired || !confirmed) return;
    setLapsed(value.validUntil ?? null);
    onChange({ verification: { method: 'email_code' }, ready: false });
  }, [expired, confirmed, value.validUntil, onChange]);

  const choices: Array<[VerificationMethod, string]> = [
    ['email_code', `Email a code to ${person}`],
    ['callback', 'Called back the number on file'],
    ['other', 'Other'],
    ['none', 'None'],
  ];

  function choose(m: VerificationMethod) {
    setLapsed(null);
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
            Email on file verified. The check is used by this action{value.validUntil ? ` (a check is single-use; this one is good until ${clockTime(value.validUntil)})` : ''}.
          </p>
        ) : (
          <>
            {lapsed !== null && (
              <p role="status" className="notice">
                The confirmed check expired at {clockTime(lapsed)} (a check is good for 30 minutes): send a new code.
              </p>
            )}
            <EmailCodeCheck target={target} person={person} stepUp={stepUp} onConfirmed={(checkId, at) => onChange(confirmedEmailCheck(checkId, at))} />
          </>
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

/**
 * "Verify identity" on the Security panel (PRODUCT.md §4.6), on its own: the emailed code, sent
 * and read back, before any action is chosen. The confirmed check goes to `onConfirmed`, and the
 * panel hands it to the next action opened from it.
 */
export function VerifyIdentityDialog({ target, person, onConfirmed, onClose }: { target: Target; person: string; onConfirmed(v: IdentityCheckValue): void; onClose(): void }): ReactNode {
  const base = useId();
  const [confirmed, setConfirmed] = useState<IdentityCheckValue | null>(null);
  return (
    <ModalDialog labelledBy={`${base}-title`} describedBy={`${base}-about`} onCancel={onClose} style={DIALOG}>
      <h2 id={`${base}-title`}>Verify identity</h2>
      {confirmed ? (
        <>
          <p role="status" className="success" id={`${base}-about`}>
            Identity confirmed: {person} read back the code emailed to the address on file. The next action you open from this Security panel records this check. It can be used once,
            until {clockTime(confirmed.validUntil!)} (30 minutes after it was confirmed).
          </p>
          <div className="actions">
            <button type="button" onClick={onClose} autoFocus>
              Done
            </button>
          </div>
        </>
      ) : (
        <>
          <p id={`${base}-about`}>
            Sends a one-time 6-digit code to {person}’s email address on file. Ask them to read it back to you and enter it below. The confirmed check is recorded with the next
            action you take from this panel: it can be used once, within 30 minutes.
          </p>
          <EmailCodeCheck
            target={target}
            person={person}
            onConfirmed={(checkId, at) => {
              const v = confirmedEmailCheck(checkId, at);
              setConfirmed(v);
              onConfirmed(v);
            }}
          />
          <div className="actions">
            <button type="button" className="secondary" onClick={onClose}>
              Cancel
            </button>
          </div>
        </>
      )}
    </ModalDialog>
  );
}
