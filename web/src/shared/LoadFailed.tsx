import type { ReactNode } from 'react';
import { FormError } from './FormError.js';

/** What a page shows when what it needs could not be loaded: why, and a way to ask again. */
export function LoadFailed({ error, what, onRetry }: { error: unknown; what: string; onRetry(): void }): ReactNode {
  return (
    <div className="load-failed">
      <p>Could not load {what}.</p>
      <FormError error={error} />
      <button type="button" className="secondary" onClick={onRetry}>
        Try again
      </button>
    </div>
  );
}
