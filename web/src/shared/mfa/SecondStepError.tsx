import type { ReactNode } from 'react';
import { ApiError } from '../../api.js';
import { FormError } from '../FormError.js';

/**
 * What went wrong with a second-step attempt, by the API's `code`: a wrong code says how many
 * tries are left; a locked challenge offers to start the sign-in again.
 */
export function SecondStepError({ error, onRestart }: { error: unknown; onRestart(): void }): ReactNode {
  if (!(error instanceof ApiError)) return <FormError error={error} />;
  switch (error.code) {
    case 'invalid_code': {
      const left = typeof error.body?.attemptsLeft === 'number' ? error.body.attemptsLeft : null;
      return (
        <div role="alert" className="error">
          That code did not work.{left !== null && ` ${left} ${left === 1 ? 'try' : 'tries'} left for this sign-in.`}
        </div>
      );
    }
    case 'challenge_locked':
      return (
        <div role="alert" className="error">
          <p>Too many wrong codes for this sign-in. To try again, sign in again with your password.</p>
          <button type="button" onClick={onRestart}>
            Sign in again
          </button>
        </div>
      );
    case 'account_locked':
      return (
        <div role="alert" className="error">
          {error.detail}
        </div>
      );
    case 'unauthenticated':
      return (
        <div role="alert" className="error">
          <p>This sign-in has expired.</p>
          <button type="button" onClick={onRestart}>
            Sign in again
          </button>
        </div>
      );
    default:
      return <FormError error={error} />;
  }
}
