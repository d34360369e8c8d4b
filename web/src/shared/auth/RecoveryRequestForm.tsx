import { useState, type ReactNode } from 'react';
import { ApiError, request } from '../../api.js';
import { Field } from '../Field.js';
import { FormError } from '../FormError.js';
import { useAction } from '../useAction.js';

// The ticket's id is internal: the customer, not signed in, cannot open it, and the email names the request.
type Outcome = { kind: 'opened' | 'open' } | { kind: 'limited'; retryAfter: number | null };

function wait(seconds: number | null): string {
  if (!seconds) return 'later';
  if (seconds < 120) return `in ${seconds} seconds`;
  if (seconds < 7200) return `in ${Math.ceil(seconds / 60)} minutes`;
  return `in ${Math.ceil(seconds / 3600)} hours`;
}

/**
 * "Can't use any of your methods?": after the password step, a customer describes the problem;
 * this opens an MFA-recovery ticket, and the account's email gets a link to cancel it. One
 * request may be open at a time (409) and a few a day (429): both say so in words.
 */
export function RecoveryRequestForm(): ReactNode {
  const [message, setMessage] = useState('');
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const action = useAction();

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setOutcome(null);
    await action.run(async () => {
      try {
        await request<{ ticketId: string }>('POST', '/api/v1/auth/mfa/recovery-requests', { message: message.trim() });
        setOutcome({ kind: 'opened' });
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) {
          setOutcome({ kind: 'open' });
          return;
        }
        if (err instanceof ApiError && err.status === 429) {
          setOutcome({ kind: 'limited', retryAfter: typeof err.body?.retryAfter === 'number' ? err.body.retryAfter : null });
          return;
        }
        throw err;
      }
    });
  }

  if (outcome?.kind === 'opened') {
    return (
      <p role="status" className="success">
        We opened a request and emailed you about it. Our support team will contact you and check that it is really you before changing anything. If you did not ask, the email has a
        link to cancel it.
      </p>
    );
  }
  if (outcome?.kind === 'open') {
    return (
      <p role="status" className="notice">
        You already have an open request: our support team will contact you. There is no need to ask again.
      </p>
    );
  }
  return (
    <form onSubmit={submit} aria-label="Ask support for help" noValidate>
      <Field label="Describe the problem" error={action.error} apiField="message" value={message} onChange={setMessage} multiline rows={5} maxLength={5000} required hint="For example: I changed phones and did not move my authenticator app. Never include your password or codes." />
      {outcome?.kind === 'limited' && (
        <p role="alert" className="error">
          Too many requests from this account or network. Please try again {wait(outcome.retryAfter)}.
        </p>
      )}
      <FormError error={action.error} labels={{ message: 'Describe the problem' }} />
      <button type="submit" disabled={action.busy || !message.trim()}>
        {action.busy ? 'Sending…' : 'Ask support for help'}
      </button>
    </form>
  );
}
