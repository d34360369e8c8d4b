import { useState, type ReactNode } from 'react';
import { auth } from '../../api.js';
import { Field } from '../Field.js';
import { FormError } from '../FormError.js';
import { useAction } from '../useAction.js';
import { useSession } from '../session.js';

/** Asks to move the account to a new address, which must confirm it by email. */
export function EmailForm({ current }: { current: string }): ReactNode {
  const { audience } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const action = useAction();
  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setSentTo(null);
    await action.run(async () => {
      await auth.changeEmail(audience, email, password);
      setSentTo(email);
      setEmail('');
      setPassword('');
    });
  }
  return (
    <form className="card" onSubmit={submit} aria-label="Change email address" noValidate>
      <h2>Email address</h2>
      <p>
        Your account uses <strong>{current}</strong>.
      </p>
      <Field label="New email address" error={action.error} apiField="email" type="email" autoComplete="email" value={email} onChange={setEmail} required />
      <Field label="Password" error={action.error} apiField="password" type="password" autoComplete="current-password" value={password} onChange={setPassword} required hint="To confirm it is you." />
      <FormError error={action.error} labels={{ email: 'New email address' }} />
      {sentTo && (
        <p role="status" className="success">
          We sent a confirmation link to {sentTo}. The change happens when you open it.
        </p>
      )}
      <button type="submit" disabled={action.busy}>
        Change email address
      </button>
    </form>
  );
}
