import { useState, type ReactNode } from 'react';
import { Field } from './Field.js';
import { FormError } from './FormError.js';
import { useAction } from './useAction.js';

/** A plain-text reply box under a ticket's conversation. */
export function ReplyForm({ send, onSent }: { send(message: string): Promise<unknown>; onSent(): Promise<void> | void }): ReactNode {
  const [message, setMessage] = useState('');
  const action = useAction();
  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (await action.run(() => send(message))) {
      setMessage('');
      await onSent();
    }
  }
  return (
    <form className="card reply" onSubmit={submit} aria-label="Reply" noValidate>
      <Field label="Your reply" error={action.error} apiField="message" value={message} onChange={setMessage} multiline rows={4} required />
      <FormError error={action.error} labels={{ message: 'Your reply' }} />
      <button type="submit" disabled={action.busy || !message.trim()}>
        {action.busy ? 'Sending…' : 'Send reply'}
      </button>
    </form>
  );
}
