import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { FormError } from '../../shared/FormError.js';
import { Loading } from '../../shared/Loading.js';
import { formatDateTime } from '../../shared/format.js';
import { useLoad } from '../../shared/useLoad.js';
import { useTitle } from '../../shared/useTitle.js';
import { ROLES } from '../roles.js';
import { SecurityPanel } from './SecurityPanel.js';
import { toolkitApi } from './toolkit-api.js';

/** Admins: one staff member's details and Security panel (the same toolkit as for contacts). */
export function StaffMemberPage(): ReactNode {
  const { id = '' } = useParams();
  const member = useLoad(() => toolkitApi.getStaffMember(id), [id]);
  useTitle(member.data?.name ?? 'Staff member', 'Portico console');
  if (!member.data) {
    return member.error ? (
      <section>
        <FormError error={member.error} />
        <Link to="/admin/staff">Back to staff</Link>
      </section>
    ) : (
      <Loading />
    );
  }
  const s = member.data;
  return (
    <section>
      <p className="breadcrumb">
        <Link to="/admin/staff">Staff</Link>
      </p>
      <div className="page-head">
        <h1>{s.name}</h1>
      </div>
      <section className="card" aria-label="Details">
        <h2>Details</h2>
        <dl className="details">
          <dt>Email</dt>
          <dd>{s.email}</dd>
          <dt>Role</dt>
          <dd>{ROLES[s.role]}</dd>
          <dt>Status</dt>
          <dd>{!s.active ? 'Deactivated' : s.invited ? 'Invited' : 'Active'}</dd>
          <dt>Created</dt>
          <dd>{formatDateTime(s.createdAt)}</dd>
          <dt>Id</dt>
          <dd>
            <code>{s.id}</code>
          </dd>
        </dl>
      </section>
      <SecurityPanel target={{ kind: 'staff', id: s.id }} />
    </section>
  );
}
