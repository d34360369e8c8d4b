import { useState, type ReactNode } from 'react';
import { auth } from '../../api.js';
import { Field } from '../Field.js';
import { FormError } from '../FormError.js';
import { useAction } from '../useAction.js';
import { useSession } from '../session.js';

export function NameForm({ current }: { current: string }): ReactNode {
  const { audience, refresh } = useSession();
  const [name, setName] = useState(current);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setSaved(false);
    if (
      await action.run(async () => {
        await auth.updateName(audience, name);
        await refresh();
      })
    )
      setSaved(true);
  }
  return (
    <form className="card" onSubmit={submit} aria-label="Your name" noValidate>
      <h2>Your name</h2>
      <Field label="Name" error={action.error} apiField="name" autoComplete="name" value={name} onChange={setName} required />
      <FormError error={action.error} />
      {saved && (
        <p role="status" className="success">
          Saved.
        </p>
      )}
      <button type="submit" disabled={action.busy}>
        Save name
      </button>
    </form>
  );
}
