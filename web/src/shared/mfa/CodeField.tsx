import { useId, type ReactNode } from 'react';
import { ApiError } from '../../api.js';
import { describedBy, FieldErrorText } from '../Field.js';
import { fieldErrorMessages } from '../FormError.js';

interface CodeFieldProps {
  label: string;
  value: string;
  onChange(value: string): void;
  /** `otp`: six digits from an authenticator app; `text`: a recovery or temporary code. */
  kind?: 'otp' | 'text';
  hint?: string;
  autoFocus?: boolean;
  /**
   * The error of the last code tried (the one the form shows): a wrong code (`invalid_code`, which
   * names no field) or an error naming `apiField` marks the input `aria-invalid`. Pass only the
   * error of a code attempt: a failed passkey is not a wrong code.
   */
  error?: unknown;
  /** The API's name for the code in the request body; `code` unless told. */
  apiField?: string;
}

/** The API said the code typed was wrong (not a lapsed session, a lock, or a network failure). */
export function isWrongCode(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'invalid_code';
}

/**
 * A one-time code input: numeric keypad and one-time-code autofill for authenticator codes. A
 * wrong code marks it `aria-invalid`; a message the API gives for the field describes it too.
 */
export function CodeField({ label, value, onChange, kind = 'otp', hint, autoFocus, error, apiField = 'code' }: CodeFieldProps): ReactNode {
  const id = useId();
  const hintID = hint ? `${id}-hint` : undefined;
  const messages = fieldErrorMessages(error, apiField);
  const errorID = messages.length ? `${id}-error` : undefined;
  const invalid = messages.length > 0 || isWrongCode(error);
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
        aria-invalid={invalid || undefined}
        aria-describedby={describedBy(errorID, hintID)}
        required
        autoFocus={autoFocus}
      />
      {errorID && <FieldErrorText id={errorID} messages={messages} />}
      {hint && (
        <small id={hintID} className="hint">
          {hint}
        </small>
      )}
    </div>
  );
}
