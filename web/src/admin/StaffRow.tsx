import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { consoleApi, type StaffRecord, type StaffRole } from '../api.js';
import { FormError } from '../shared/FormError.js';
import { useAction } from '../shared/useAction.js';
import { ROLES } from './roles.js';
import { useStepUp } from './security/useStepUp.js';
import { alsoTakesBack, authorityApi, ConfirmAfterCounting, countOf, MAY_ALSO_TAKE_BACK, withAlso, type TakenBack } from './authority.js';

/** What a staff member with each role may do, said before an admin gives them that role. */
const ROLE_ALLOWS: Record<StaffRole, string> = {
  agent: 'They will only answer tickets and see contacts and their MFA status, with none of the MFA actions on customers.',
  supervisor: 'They will answer tickets and also run the MFA actions on customers (reset, remove a factor, temporary access codes), but not manage staff, settings or API tokens.',
  admin: 'They will be able to do everything: manage staff and their roles, API tokens, the MFA policy and settings, bulk resets and the audit export.',
};

const RANK: Record<StaffRole, number> = { agent: 1, supervisor: 2, admin: 3 };

/** "Change Sam Lee's role from Agent to Admin?" and what the new role allows. */
function roleChangeQuestion(member: StaffRecord, to: StaffRole): string {
  return `Change ${member.name}'s role from ${ROLES[member.role]} to ${ROLES[to]}? ${ROLE_ALLOWS[to]}`;
}

/**
 * "Sam Lee will be signed out everywhere and their API tokens revoked (2 tokens, counting any
 * they made for others). This also cancels …": what a deactivation takes back, counted (null:
 * not counted).
 */
function deactivationQuestion(member: StaffRecord, c: TakenBack | null): string {
  const signedOut = `${member.name} will be signed out everywhere and their API tokens revoked`;
  if (!c) return withAlso(`${signedOut}.`, MAY_ALSO_TAKE_BACK);
  return withAlso(c.apiTokens ? `${signedOut} (${countOf(c.apiTokens, 'token')}, counting any they made for others).` : `${signedOut}.`, alsoTakesBack(c));
}

/** What a move to a lesser role takes back, as the confirmation says it (counting: null). */
type RoleAlso = { role: StaffRole; text: string | null };

/**
 * One staff member: a role select whose change is confirmed (it says what the new role allows)
 * before it is saved, and deactivate/reactivate (after a confirmation).
 */
export function StaffRow({ member, self, onUpdated }: { member: StaffRecord; self: boolean; onUpdated(s: StaffRecord, message: string): void }): ReactNode {
  const action = useAction();
  // Role and status changes need the admin's own second step within 5 minutes.
  const stepUp = useStepUp();
  // The role picked in the select, waiting for "Yes" (null: the select shows the saved role).
  const [newRole, setNewRole] = useState<StaffRole | null>(null);
  const roleSelect = useRef<HTMLSelectElement>(null);
  // Once the confirmation has gone (cancelled or saved), the focus goes back to the select.
  const [refocus, setRefocus] = useState(false);
  const questionID = useId();

  useEffect(() => {
    if (refocus && !action.busy) {
      setRefocus(false);
      roleSelect.current?.focus();
    }
  }, [refocus, action.busy]);

  // A move to a lesser role takes back what the old one made and the new one may not keep
  // (its bulk resets, scheduled changes, temporary codes): counted for the question.
  const [roleAlso, setRoleAlso] = useState<RoleAlso | null>(null);
  const picked = useRef<StaffRole | null>(null);

  async function countRoleChange(role: StaffRole) {
    setRoleAlso({ role, text: null });
    let text: string;
    try {
      text = alsoTakesBack(await authorityApi.ofStaff(member.id, role));
    } catch {
      text = MAY_ALSO_TAKE_BACK;
    }
    // Only the answer for the role still picked.
    if (picked.current === role) setRoleAlso({ role, text });
  }
  function pickRole(role: StaffRole) {
    action.clear();
    const next = role === member.role ? null : role;
    picked.current = next;
    setNewRole(next);
    if (next && RANK[next] < RANK[member.role]) void countRoleChange(next);
    else setRoleAlso(null);
  }
  function keepRole() {
    action.clear();
    picked.current = null;
    setNewRole(null);
    setRoleAlso(null);
    setRefocus(true);
  }
  async function changeRole(role: StaffRole) {
    const saved = await action.run(async () => onUpdated(await stepUp.guard(() => consoleApi.updateStaff(member.id, { role })), `${member.name} is now ${ROLES[role].toLowerCase()}.`));
    // A failure (or a cancelled step-up) keeps the question, to try again or cancel.
    if (saved) {
      picked.current = null;
      setNewRole(null);
      setRoleAlso(null);
      setRefocus(true);
    }
  }
  async function setActive(active: boolean) {
    await action.run(async () =>
      onUpdated(await stepUp.guard(() => consoleApi.updateStaff(member.id, { active })), `${member.name} was ${active ? 'reactivated' : 'deactivated'}.`),
    );
  }

  // Yes waits for the count: the question is whole before the change is made.
  const counting = newRole !== null && roleAlso?.role === newRole && roleAlso.text === null;

  return (
    <tr>
      <td>
        <Link to={`/admin/staff/${encodeURIComponent(member.id)}`}>{member.name}</Link> {self && <span className="badge muted">you</span>}
      </td>
      <td>{member.email}</td>
      <td>
        <select
          ref={roleSelect}
          aria-label={`Role of ${member.name}`}
          aria-describedby={newRole ? questionID : undefined}
          value={newRole ?? member.role}
          disabled={self || action.busy}
          onChange={(e) => pickRole(e.target.value as StaffRole)}
          onKeyDown={(e) => {
            // Escape on the select, where the focus stays, takes the unsaved choice back too.
            if (e.key === 'Escape' && newRole) {
              e.preventDefault();
              keepRole();
            }
          }}
        >
          {(Object.keys(ROLES) as StaffRole[]).map((r) => (
            <option key={r} value={r}>
              {ROLES[r]}
            </option>
          ))}
        </select>
        {/* The focus stays on the select (arrowing through its options changes it): the question comes next in the tab order. */}
        {newRole && (
          <span
            className="confirm role-change"
            role="group"
            aria-label={`Confirm: change the role of ${member.name}`}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                e.stopPropagation();
                keepRole();
              }
            }}
          >
            <span id={questionID} className="confirm-question">
              {roleChangeQuestion(member, newRole)}
              {/* The focus stays on the select: what the move takes back is announced when counted. */}
              <span aria-live="polite">{roleAlso?.role === newRole && roleAlso.text ? ` ${roleAlso.text}` : ''}</span>
            </span>
            {counting && (
              <span role="status" className="muted">
                Counting what this also cancels…
              </span>
            )}
            <button type="button" aria-describedby={questionID} disabled={action.busy || counting} onClick={() => void changeRole(newRole)}>
              Yes, make {ROLES[newRole].toLowerCase()}
            </button>
            <button type="button" className="secondary" disabled={action.busy} onClick={keepRole}>
              Cancel
            </button>
          </span>
        )}
      </td>
      <td>{!member.active ? <span className="badge muted">Deactivated</span> : member.invited ? <span className="badge warn">Invited</span> : <span className="badge ok">Active</span>}</td>
      <td>
        {!self &&
          (member.active ? (
            <ConfirmAfterCounting
              label={`Deactivate ${member.name}`}
              count={() => authorityApi.ofStaff(member.id)}
              question={(c) => deactivationQuestion(member, c)}
              confirmLabel="Yes, deactivate"
              disabled={action.busy}
              onConfirm={() => setActive(false)}
            />
          ) : (
            // The same component as Deactivate's, so the focus lands on this button after that change.
            <ConfirmAfterCounting
              label={`Reactivate ${member.name}`}
              question={() => `${member.name} will be able to sign in again.`}
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
