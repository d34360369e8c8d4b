import { useId, type ReactNode } from 'react';
import { fieldErrorMessages } from './FormError.js';

interface FieldProps {
  label: string;
  value: string;
  onChange(value: string): void;
  type?: 'text' | 'email' | 'password' | 'search';
  autoComplete?: string;
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  hint?: string;
  multiline?: boolean;
  rows?: number;
  autoFocus?: boolean;
  /** The error the form shows in its FormError; when it names `apiField`, this input is marked invalid and says why. */
  error?: unknown;
  /** The API's name for this field: the last part of the error's path ("email" for "body.email"). */
  apiField?: string;
  /** Marks the input invalid although the error names no field (a wrong code: the error is about this input). */
  invalid?: boolean;
}

/** The ids of the elements describing an input, space-separated as aria-describedby wants them; undefined when none. */
export function describedBy(...ids: Array<string | undefined>): string | undefined {
  const list = ids.filter((id): id is string => !!id);
  return list.length ? list.join(' ') : undefined;
}

/**
 * The API's message for one field, under its input: the input's aria-describedby names `id`,
 * so a screen reader reads it with the field (the form's alert has already announced it).
 */
export function FieldErrorText({ id, messages }: { id: string; messages: string[] }): ReactNode {
  if (!messages.length) return null;
  const text = messages.map((m) => m.charAt(0).toUpperCase() + m.slice(1)).join('; ');
  return (
    <small id={id} className="hint field-error">
      {text}
    </small>
  );
}

/**
 * One labelled input (or textarea); tests and screen readers find it by its label. Given the
 * form's `error` and its `apiField`, an error that names the field marks the input
 * `aria-invalid` and describes it by the message (then by the hint).
 */
export function Field({ label, value, onChange, type = 'text', multiline, rows = 6, hint, error, apiField, invalid, ...rest }: FieldProps): ReactNode {
  const id = useId();
  const hintID = hint ? `${id}-hint` : undefined;
  const messages = apiField ? fieldErrorMessages(error, apiField) : [];
  const errorID = messages.length ? `${id}-error` : undefined;
  const ariaInvalid = invalid || messages.length > 0 ? true : undefined;
  const description = describedBy(errorID, hintID);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {multiline ? (
        <textarea id={id} value={value} rows={rows} aria-invalid={ariaInvalid} aria-describedby={description} onChange={(e) => onChange(e.target.value)} {...rest} />
      ) : (
        <input id={id} type={type} value={value} aria-invalid={ariaInvalid} aria-describedby={description} onChange={(e) => onChange(e.target.value)} {...rest} />
      )}
      {errorID && <FieldErrorText id={errorID} messages={messages} />}
      {hint && (
        <small id={hintID} className="hint">
          {hint}
        </small>
      )}
    </div>
  );
}
