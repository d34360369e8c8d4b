import { useState, type ReactNode } from 'react';
import { auth } from '../../api.js';
import { Field } from '../Field.js';
import { FormError } from '../FormError.js';
import { useAction } from '../useAction.js';
import { useSession } from '../session.js';

/** Changes the password; every other session of the account ends. */
export function PasswordForm(): ReactNode {
  const { audience } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const action = useAction();
  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setResult(null);
    await action.run(async () => {
      const r = await auth.changePassword(audience, current, next);
      setCurrent('');
      setNext('');
      setResult(r.sessionsRevoked > 0 ? `Password changed. ${r.sessionsRevoked} other session(s) were signed out.` : 'Password changed.');
    });
  }
  return (
    <form className="card" onSubmit={submit} aria-label="Change password" noValidate>
      <h2>Change password</h2>
      <Field label="Current password" error={action.error} apiField="currentPassword" type="password" autoComplete="current-password" value={current} onChange={setCurrent} required />
      <Field label="New password" error={action.error} apiField="newPassword" type="password" autoComplete="new-password" value={next} onChange={setNext} required minLength={8} hint="At least 8 characters. Other browsers signed in to your account will be signed out." />
      <FormError error={action.error} />
      {result && (
        <p role="status" className="success">
          {result}
        </p>
      )}
      <button type="submit" disabled={action.busy}>
        Change password
      </button>
    </form>
  );
}
