import { useId, useState, type ReactNode } from 'react';
import { consoleApi, type StaffRecord, type StaffRole } from '../api.js';
import { Field } from '../shared/Field.js';
import { FormError } from '../shared/FormError.js';
import { useAction } from '../shared/useAction.js';
import { ROLES } from './roles.js';
import { useStepUp } from './security/useStepUp.js';

/** Invites a staff member with a role; they get an email to choose a password. */
export function InviteStaffForm({ onInvited }: { onInvited(s: StaffRecord): Promise<void> | void }): ReactNode {
  const roleID = useId();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<StaffRole>('agent');
  const action = useAction();
  // Inviting staff needs the admin's own second step within 5 minutes.
  const stepUp = useStepUp();

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    await action.run(async () => {
      const s = await stepUp.guard(() => consoleApi.inviteStaff({ name, email, role }));
      setName('');
      setEmail('');
      setRole('agent');
      await onInvited(s);
    });
  }

  return (
    <>
      <form className="card inline-form" onSubmit={submit} aria-label="Invite a staff member" noValidate>
        <h2>Invite a staff member</h2>
        <div className="row">
          <Field label="Name" error={action.error} apiField="name" value={name} onChange={setName} required />
          <Field label="Email" error={action.error} apiField="email" type="email" value={email} onChange={setEmail} required />
          <div className="field">
            <label htmlFor={roleID}>Role</label>
            <select id={roleID} value={role} onChange={(e) => setRole(e.target.value as StaffRole)}>
              {(Object.keys(ROLES) as StaffRole[]).map((r) => (
                <option key={r} value={r}>
                  {ROLES[r]}
                </option>
              ))}
            </select>
          </div>
        </div>
        <FormError error={action.error} />
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Inviting…' : 'Send invitation'}
        </button>
      </form>
      {stepUp.dialog}
    </>
  );
}
