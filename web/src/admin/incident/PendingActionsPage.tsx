import { useId, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { consoleApi, request } from '../../api.js';
import { FormError } from '../../shared/FormError.js';
import { Loading } from '../../shared/Loading.js';
import { useLoad } from '../../shared/useLoad.js';
import { useSession } from '../../shared/session.js';
import { useTitle } from '../../shared/useTitle.js';
import { PendingActionRow, type PendingAction } from '../security/PendingActions.js';

const STATUSES = [
  ['pending', 'Scheduled'],
  ['cancelled', 'Cancelled'],
  ['done', 'Done'],
  ['failed', 'Failed'],
  ['', 'All'],
] as const;

/** A link to the contact, named once their record has loaded. */
function ContactLink({ id }: { id: string }): ReactNode {
  const c = useLoad(() => consoleApi.getContact(id), [id]);
  return <Link to={`/admin/contacts/${id}`}>{c.data ? `${c.data.name} <${c.data.email}>` : 'Open the contact'}</Link>;
}

/** Every change of the waiting period across all customers: scheduled ones can be cancelled. */
export function PendingActionsPage(): ReactNode {
  useTitle('Scheduled changes', 'Portico console');
  const { session } = useSession();
  const statusID = useId();
  const [status, setStatus] = useState<string>('pending');
  const list = useLoad(() => request<{ items: PendingAction[] }>('GET', `/api/v1/pending-actions${status ? `?status=${status}` : ''}`), [status]);
  const canCancel = session?.staff?.role === 'supervisor' || session?.staff?.role === 'admin';
  const label = STATUSES.find(([s]) => s === status)?.[1] ?? 'All';
  return (
    <section>
      <h1>Scheduled changes</h1>
      <p className="hint">With a waiting period, resets, temporary codes and removals of a last factor wait here; each customer was emailed a link to cancel. Bulk resets are exempt.</p>
      <div className="field">
        <label htmlFor={statusID}>Show</label>
        <select id={statusID} value={status} onChange={(e) => setStatus(e.target.value)}>
          {STATUSES.map(([s, l]) => (
            <option key={s} value={s}>
              {l}
            </option>
          ))}
        </select>
      </div>
      {list.loading && !list.data ? (
        <Loading />
      ) : list.error ? (
        <FormError error={list.error} />
      ) : list.data?.items.length ? (
        <ul className="plain card" aria-label={`${label} changes`}>
          {list.data.items.map((pa) => (
            <PendingActionRow key={pa.id} action={pa} canCancel={canCancel} onChanged={() => void list.reload()} contactLink={pa.contactId ? <ContactLink id={pa.contactId} /> : null} />
          ))}
        </ul>
      ) : (
        <p className="card">{status === 'pending' ? 'Nothing is scheduled.' : `No ${label.toLowerCase()} changes.`}</p>
      )}
    </section>
  );
}
