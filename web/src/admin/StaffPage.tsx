import { useState, type ReactNode } from 'react';
import { consoleApi, type StaffRecord } from '../api.js';
import { FormError } from '../shared/FormError.js';
import { Loading } from '../shared/Loading.js';
import { useSession } from '../shared/session.js';
import { useTitle } from '../shared/useTitle.js';
import { InviteStaffForm } from './InviteStaffForm.js';
import { StaffRow } from './StaffRow.js';
import { usePagedList } from './usePagedList.js';

/**
 * Admins: the staff list (newest first, a page at a time with "Show more"), invitations, roles,
 * and deactivation. Each row changes only itself, so the page never needs every staff member.
 */
export function StaffPage(): ReactNode {
  const { session } = useSession();
  const staff = usePagedList((cursor) => consoleApi.listStaffPage({ cursor }), []);
  const [notice, setNotice] = useState<string | null>(null);
  useTitle('Staff', 'Portico console');

  function updated(s: StaffRecord, message: string) {
    staff.update((items) => items.map((x) => (x.id === s.id ? s : x)));
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
      <FormError error={staff.error} />
      {!staff.items ? (
        staff.error ? null : <Loading />
      ) : staff.items.length === 0 ? (
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
            {staff.items.map((s) => (
              <StaffRow key={s.id} member={s} self={s.id === session?.staff?.id} onUpdated={updated} />
            ))}
          </tbody>
        </table>
      )}
      <FormError error={staff.moreError} />
      {staff.items && staff.hasMore && (
        <button type="button" className="secondary" disabled={staff.loadingMore || staff.loading} onClick={() => void staff.showMore()}>
          {staff.loadingMore ? 'Loading…' : 'Show more'}
        </button>
      )}
    </section>
  );
}

