import { useState, type ReactNode } from 'react';
import { consoleApi, type StaffRecord } from '../api.js';
import { FormError } from '../shared/FormError.js';
import { Loading } from '../shared/Loading.js';
import { useLoad } from '../shared/useLoad.js';
import { useSession } from '../shared/session.js';
import { useTitle } from '../shared/useTitle.js';
import { InviteStaffForm } from './InviteStaffForm.js';
import { StaffRow } from './StaffRow.js';

/** Admins: the staff list, invitations, roles, and deactivation. */
export function StaffPage(): ReactNode {
  const { session } = useSession();
  const staff = useLoad(() => consoleApi.listStaff(), []);
  const [notice, setNotice] = useState<string | null>(null);
  useTitle('Staff', 'Portico console');

  function updated(s: StaffRecord, message: string) {
    if (staff.data) staff.setData({ ...staff.data, items: staff.data.items.map((x) => (x.id === s.id ? s : x)) });
    setNotice(message);
  }

  return (
    <section>
      <h1>Staff</h1>
      <InviteStaffForm
        onInvited={async (s) => {
          setNotice(`Invitation sent to ${s.email}.`);
          await staff.reload();
        }}
      />
      {notice && (
        <p role="status" className="success">
          {notice}
        </p>
      )}
      {staff.loading && !staff.data ? (
        <Loading />
      ) : !staff.data ? (
        <FormError error={staff.error} />
      ) : staff.data.items.length === 0 ? (
        <p className="empty">No staff members yet.</p>
      ) : (
        <table className="table" aria-label="Staff members">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {staff.data.items.map((s) => (
              <StaffRow key={s.id} member={s} self={s.id === session?.staff?.id} onUpdated={updated} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

