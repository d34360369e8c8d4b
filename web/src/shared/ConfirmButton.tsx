import { useState, type ReactNode } from 'react';

interface ConfirmButtonProps {
  /** The button's text before confirming. */
  label: string;
  /** What will happen, shown before the person confirms. */
  question: string;
  confirmLabel?: string;
  danger?: boolean;
  disabled?: boolean;
  onConfirm(): void | Promise<void>;
}

/** A destructive action in two steps: the button asks, then "Yes, …" does it. */
export function ConfirmButton({ label, question, confirmLabel, danger = true, disabled, onConfirm }: ConfirmButtonProps): ReactNode {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className={danger ? 'danger secondary' : 'secondary'} disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={`Confirm: ${label}`}>
      <span className="confirm-question">{question}</span>
      <button
        type="button"
        className={danger ? 'danger' : ''}
        disabled={disabled}
        onClick={async () => {
          await onConfirm();
          setAsking(false);
        }}
      >
        {confirmLabel ?? `Yes, ${label.toLowerCase()}`}
      </button>
      <button type="button" className="secondary" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
