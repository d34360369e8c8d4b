import { useId, useState, type ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import { consoleApi } from '../api.js';
import { Field } from '../shared/Field.js';
import { FormError } from '../shared/FormError.js';
import { useAction } from '../shared/useAction.js';
import { useTitle } from '../shared/useTitle.js';

/** Adds a contact; by default the contact is emailed an invitation to choose a password. */
export function NewContactPage(): ReactNode {
  const navigate = useNavigate();
  const inviteID = useId();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [invite, setInvite] = useState(true);
  const action = useAction();
  useTitle('New contact', 'Portico console');

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    await action.run(async () => {
      const c = await consoleApi.createContact({ name, email, invite });
      navigate(`/admin/contacts/${c.id}`);
    });
  }

  return (
    <section className="card narrow">
      <p className="breadcrumb">
        <Link to="/admin/contacts">Contacts</Link>
      </p>
      <h1>New contact</h1>
      <form onSubmit={submit} noValidate>
        <Field label="Name" error={action.error} apiField="name" value={name} onChange={setName} required autoFocus />
        <Field label="Email" error={action.error} apiField="email" type="email" value={email} onChange={setEmail} required />
        <div className="field checkbox">
          <input id={inviteID} type="checkbox" checked={invite} onChange={(e) => setInvite(e.target.checked)} />
          <label htmlFor={inviteID}>Send an invitation to choose a password</label>
        </div>
        <FormError error={action.error} />
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Creating…' : 'Create contact'}
        </button>
      </form>
    </section>
  );
}
