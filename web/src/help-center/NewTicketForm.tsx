import { useState, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { helpCenter } from '../api.js';
import { Field } from '../shared/Field.js';
import { FormError } from '../shared/FormError.js';
import { useAction } from '../shared/useAction.js';

/** Opens a ticket (subject and a plain-text message), then shows it. */
export function NewTicketForm({ onCancel }: { onCancel(): void }): ReactNode {
  const navigate = useNavigate();
  const [subject, setSubject] = useState('');
  const [message, setMessage] = useState('');
  const action = useAction();

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    await action.run(async () => {
      const ticket = await helpCenter.openTicket(subject, message);
      navigate(`/tickets/${ticket.id}`);
    });
  }

  return (
    <form className="card" onSubmit={submit} aria-label="New ticket" noValidate>
      <h2>Open a new ticket</h2>
      <Field label="Subject" error={action.error} apiField="subject" value={subject} onChange={setSubject} required maxLength={200} autoFocus />
      <Field label="Message" error={action.error} apiField="message" value={message} onChange={setMessage} required multiline hint="Describe what happened. Plain text only." />
      <FormError error={action.error} />
      <div className="actions">
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Sending…' : 'Send ticket'}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
