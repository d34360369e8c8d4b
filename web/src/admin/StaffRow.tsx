import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { consoleApi, type StaffRecord, type StaffRole } from '../api.js';
import { ConfirmButton } from '../shared/ConfirmButton.js';
import { FormError } from '../shared/FormError.js';
import { useAction } from '../shared/useAction.js';
import { ROLES } from './roles.js';
import { useStepUp } from './security/useStepUp.js';

/** One staff member: role select and deactivate/reactivate (after a confirmation). */
export function StaffRow({ member, self, onUpdated }: { member: StaffRecord; self: boolean; onUpdated(s: StaffRecord, message: string): void }): ReactNode {
  const action = useAction();
  // Role and status changes need the admin's own second step within 5 minutes.
  const stepUp = useStepUp();

  async function changeRole(role: StaffRole) {
    await action.run(async () => onUpdated(await stepUp.guard(() => consoleApi.updateStaff(member.id, { role })), `${member.name} is now ${ROLES[role].toLowerCase()}.`));
  }
  async function setActive(active: boolean) {
    await action.run(async () =>
      onUpdated(await stepUp.guard(() => consoleApi.updateStaff(member.id, { active })), `${member.name} was ${active ? 'reactivated' : 'deactivated'}.`),
    );
  }

  return (
    <tr>
      <td>
        <Link to={`/admin/staff/${encodeURIComponent(member.id)}`}>{member.name}</Link> {self && <span className="badge muted">you</span>}
      </td>
      <td>{member.email}</td>
      <td>
        <select aria-label={`Role of ${member.name}`} value={member.role} disabled={self || action.busy} onChange={(e) => changeRole(e.target.value as StaffRole)}>
          {(Object.keys(ROLES) as StaffRole[]).map((r) => (
            <option key={r} value={r}>
              {ROLES[r]}
            </option>
          ))}
        </select>
      </td>
      <td>{!member.active ? <span className="badge muted">Deactivated</span> : member.invited ? <span className="badge warn">Invited</span> : <span className="badge ok">Active</span>}</td>
      <td>
        {!self &&
          (member.active ? (
            <ConfirmButton
              label={`Deactivate ${member.name}`}
              question={`${member.name} will be signed out everywhere and their API tokens revoked.`}
              confirmLabel="Yes, deactivate"
              disabled={action.busy}
              onConfirm={() => setActive(false)}
            />
          ) : (
            <ConfirmButton
              label={`Reactivate ${member.name}`}
              question={`${member.name} will be able to sign in again.`}
              confirmLabel="Yes, reactivate"
              danger={false}
              disabled={action.busy}
              onConfirm={() => setActive(true)}
            />
          ))}
        <FormError error={action.error} />
        {stepUp.dialog}
      </td>
    </tr>
  );
}
