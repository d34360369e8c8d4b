import { useEffect, useId, useRef, useState, type ReactNode } from 'react';

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

/**
 * A destructive action in two steps: the button asks, then "Yes, …" does it. The keyboard focus
 * follows: onto "Yes, …" when it asks (which reads out the question as its description), back
 * to the button on Cancel (or Escape), and back to the button after the action when it is
 * still on the page.
 */
export function ConfirmButton({ label, question, confirmLabel, danger = true, disabled, onConfirm }: ConfirmButtonProps): ReactNode {
  const [asking, setAsking] = useState(false);
  const questionID = useId();
  const opener = useRef<HTMLButtonElement>(null);
  const yes = useRef<HTMLButtonElement>(null);
  // Where the focus goes once the step it belongs to has rendered; null leaves it alone.
  const focusNext = useRef<'yes' | 'opener' | null>(null);
  // The action may take this button off the page (a sign-out navigates away): then nothing is set.
  const mounted = useRef(false);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  useEffect(() => {
    const target = focusNext.current === 'yes' ? yes.current : focusNext.current === 'opener' ? opener.current : null;
    focusNext.current = null;
    target?.focus();
  }, [asking]);

  function ask() {
    focusNext.current = 'yes';
    setAsking(true);
  }
  function back() {
    focusNext.current = 'opener';
    setAsking(false);
  }

  if (!asking) {
    return (
      <button ref={opener} type="button" className={danger ? 'danger secondary' : 'secondary'} disabled={disabled} onClick={ask}>
        {label}
      </button>
    );
  }
  return (
    <span
      className="confirm"
      role="group"
      aria-label={`Confirm: ${label}`}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          back();
        }
      }}
    >
      <span id={questionID} className="confirm-question">
        {question}
      </span>
      <button
        ref={yes}
        type="button"
        className={danger ? 'danger' : ''}
        disabled={disabled}
        aria-describedby={questionID}
        onClick={async () => {
          await onConfirm();
          if (mounted.current) back();
        }}
      >
        {confirmLabel ?? `Yes, ${label.toLowerCase()}`}
      </button>
      <button type="button" className="secondary" onClick={back}>
        Cancel
      </button>
    </span>
  );
}
