import { useState, type ReactNode } from 'react';
import { ApiError, request } from '../../api.js';
import { Field } from '../Field.js';
import { FormError } from '../FormError.js';
import { useAction } from '../useAction.js';

/**
 * "Can't use any of your methods?": after the password step, a customer describes the problem;
 * this opens an MFA-recovery ticket, and the account's email gets a link to cancel it.
 */
export function RecoveryRequestForm(): ReactNode {
  const [message, setMessage] = useState('');
  const [ticketId, setTicketId] = useState<string | null>(null);
  const [alreadyOpen, setAlreadyOpen] = useState(false);
  const action = useAction();

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setAlreadyOpen(false);
    await action.run(async () => {
      try {
        const r = await request<{ ticketId: string }>('POST', '/api/v1/auth/mfa/recovery-requests', { message: message.trim() });
        setTicketId(r.ticketId);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'conflict') {
          setAlreadyOpen(true);
          return;
        }
        throw err;
      }
    });
  }

  if (ticketId) {
    return (
      <p role="status" className="success">
        We opened request {ticketId} and emailed you about it. Our support team will contact you and check that it is really you before changing anything.
      </p>
    );
  }
  return (
    <form onSubmit={submit} aria-label="Ask support for help" noValidate>
      <Field label="Describe the problem" value={message} onChange={setMessage} multiline rows={5} maxLength={5000} required hint="For example: I changed phones and did not move my authenticator app. Never include your password or codes." />
      {alreadyOpen && (
        <p role="status" className="hint">
          You already have an open request: our support team will contact you.
        </p>
      )}
      <FormError error={action.error} />
      <button type="submit" disabled={action.busy || !message.trim()}>
        {action.busy ? 'Sending…' : 'Ask support for help'}
      </button>
    </form>
  );
}
