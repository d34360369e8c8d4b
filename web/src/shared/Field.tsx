import { useId, type ReactNode } from 'react';

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
}

/** One labelled input (or textarea); tests and screen readers find it by its label. */
export function Field({ label, value, onChange, type = 'text', multiline, rows = 6, hint, ...rest }: FieldProps): ReactNode {
  const id = useId();
  const hintID = hint ? `${id}-hint` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {multiline ? (
        <textarea id={id} value={value} rows={rows} aria-describedby={hintID} onChange={(e) => onChange(e.target.value)} {...rest} />
      ) : (
        <input id={id} type={type} value={value} aria-describedby={hintID} onChange={(e) => onChange(e.target.value)} {...rest} />
      )}
      {hint && (
        <small id={hintID} className="hint">
          {hint}
        </small>
      )}
    </div>
  );
}
