import { useId, type ReactNode } from 'react';

interface CodeFieldProps {
  label: string;
  value: string;
  onChange(value: string): void;
  /** `otp`: six digits from an authenticator app; `text`: a recovery or temporary code. */
  kind?: 'otp' | 'text';
  hint?: string;
  autoFocus?: boolean;
}

/** A one-time code input: numeric keypad and one-time-code autofill for authenticator codes. */
export function CodeField({ label, value, onChange, kind = 'otp', hint, autoFocus }: CodeFieldProps): ReactNode {
  const id = useId();
  const hintID = hint ? `${id}-hint` : undefined;
  const otp = kind === 'otp';
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        className={otp ? 'code-input' : undefined}
        value={value}
        onChange={(e) => onChange(otp ? e.target.value.replace(/\D/g, '').slice(0, 6) : e.target.value)}
        inputMode={otp ? 'numeric' : 'text'}
        autoComplete={otp ? 'one-time-code' : 'off'}
        pattern={otp ? '[0-9]{6}' : undefined}
        maxLength={otp ? 6 : 64}
        spellCheck={false}
        autoCapitalize="off"
        aria-describedby={hintID}
        required
        autoFocus={autoFocus}
      />
      {hint && (
        <small id={hintID} className="hint">
          {hint}
        </small>
      )}
    </div>
  );
}
