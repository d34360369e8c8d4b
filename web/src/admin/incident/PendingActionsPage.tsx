import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { request } from '../../api.js';
import { FormError } from '../../shared/FormError.js';
import { Loading } from '../../shared/Loading.js';
import { useLoad } from '../../shared/useLoad.js';
import { useSession } from '../../shared/session.js';
import { useTitle } from '../../shared/useTitle.js';
import { PendingActionRow, type PendingAction } from '../security/PendingActions.js';

/** Every change waiting for the waiting period to end, across all customers. */
export function PendingActionsPage(): ReactNode {
  useTitle('Scheduled changes', 'Portico console');
  const { session } = useSession();
  const list = useLoad(() => request<{ items: PendingAction[] }>('GET', '/api/v1/pending-actions?status=pending'), []);
  const canCancel = session?.staff?.role === 'supervisor' || session?.staff?.role === 'admin';
  return (
    <section>
      <h1>Scheduled changes</h1>
      <p className="hint">With a waiting period, resets and temporary codes wait here; each customer was emailed a link to cancel.</p>
      {list.loading && !list.data ? (
        <Loading />
      ) : list.error ? (
        <FormError error={list.error} />
      ) : list.data?.items.length ? (
        <ul className="plain card">
          {list.data.items.map((pa) => (
            <PendingActionRow
              key={pa.id}
              action={pa}
              canCancel={canCancel}
              onChanged={() => void list.reload()}
              contactLink={pa.contactId ? <Link to={`/admin/contacts/${pa.contactId}`}>(open the contact)</Link> : null}
            />
          ))}
        </ul>
      ) : (
        <p className="card">Nothing is scheduled.</p>
      )}
    </section>
  );
}
