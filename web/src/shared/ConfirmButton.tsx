import { useEffect, useId, useRef, useState, type ReactNode, type RefObject } from 'react';

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
  const focus = useConfirmFocus(asking);

  function ask() {
    focus.next.current = 'yes';
    setAsking(true);
  }
  function back() {
    focus.next.current = 'opener';
    setAsking(false);
  }

  if (!asking) {
    return (
      <button ref={focus.opener} type="button" className={danger ? 'danger secondary' : 'secondary'} disabled={disabled} onClick={ask}>
        {label}
      </button>
    );
  }
  return (
    <ConfirmQuestion label={label} question={question} confirmLabel={confirmLabel ?? `Yes, ${label.toLowerCase()}`} danger={danger} disabled={disabled} focus={focus} onConfirm={onConfirm} onBack={back} />
  );
}

/** Where a two-step confirmation's focus goes, and whether it is still on the page. */
export interface ConfirmFocus {
  opener: RefObject<HTMLButtonElement | null>;
  yes: RefObject<HTMLButtonElement | null>;
  /** Where the focus goes once the step it belongs to has rendered; null leaves it alone. */
  next: RefObject<'yes' | 'opener' | null>;
  /** The action may take the confirmation off the page (a sign-out navigates away): then nothing is set. */
  mounted: RefObject<boolean>;
}

/** The focus of a two-step confirmation whose step is `step`: set `next` before changing it. */
export function useConfirmFocus(step: unknown): ConfirmFocus {
  const opener = useRef<HTMLButtonElement>(null);
  const yes = useRef<HTMLButtonElement>(null);
  const next = useRef<'yes' | 'opener' | null>(null);
  const mounted = useRef(false);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  useEffect(() => {
    const target = next.current === 'yes' ? yes.current : next.current === 'opener' ? opener.current : null;
    next.current = null;
    target?.focus();
  }, [step]);
  return { opener, yes, next, mounted };
}

interface ConfirmQuestionProps {
  label: string;
  question: string;
  confirmLabel: string;
  danger: boolean;
  disabled?: boolean;
  focus: ConfirmFocus;
  onConfirm(): void | Promise<void>;
  /** Back to the button: on Cancel, on Escape, and after the action when still on the page. */
  onBack(): void;
}

/** The asking step of a two-step confirmation: the question, "Yes, …" (described by it) and Cancel. */
export function ConfirmQuestion({ label, question, confirmLabel, danger, disabled, focus, onConfirm, onBack }: ConfirmQuestionProps): ReactNode {
  const questionID = useId();
  return (
    <span
      className="confirm"
      role="group"
      aria-label={`Confirm: ${label}`}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onBack();
        }
      }}
    >
      <span id={questionID} className="confirm-question">
        {question}
      </span>
      <button
        ref={focus.yes}
        type="button"
        className={danger ? 'danger' : ''}
        disabled={disabled}
        aria-describedby={questionID}
        onClick={async () => {
          await onConfirm();
          if (focus.mounted.current) onBack();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" className="secondary" onClick={onBack}>
        Cancel
      </button>
    </span>
  );
}
