import type { ReactNode } from 'react';
import { ApiError } from '../api.js';

/** The API's `detail` (and each field's message) next to the form that failed. */
export function FormError({ error }: { error: unknown }): ReactNode {
  if (!error) return null;
  const detail = error instanceof ApiError ? error.detail : error instanceof Error ? error.message : String(error);
  const fields = error instanceof ApiError && error.errors && error.errors.length > 1 ? error.errors : null;
  return (
    <div role="alert" className="error">
      {fields ? (
        <ul>
          {fields.map((f) => (
            <li key={f.field}>
              {f.field.replace(/^body\./, '')}: {f.message}
            </li>
          ))}
        </ul>
      ) : (
        detail
      )}
    </div>
  );
}
