import { useId, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { consoleApi, request } from '../../api.js';
import { FormError } from '../../shared/FormError.js';
import { Loading } from '../../shared/Loading.js';
import { useAction } from '../../shared/useAction.js';
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

interface PendingActionPage {
  items: PendingAction[];
  nextCursor: string | null;
}

/** One page of `GET /pending-actions` (newest first); `cursor` continues after the previous page. */
function listPendingActions(status: string, cursor?: string | null): Promise<PendingActionPage> {
  const q = new URLSearchParams();
  if (status) q.set('status', status);
  if (cursor) q.set('cursor', cursor);
  const qs = q.toString();
  return request<PendingActionPage>('GET', `/api/v1/pending-actions${qs ? `?${qs}` : ''}`);
}

/** Every change of the waiting period across all customers, a page at a time: scheduled ones can be cancelled. */
export function PendingActionsPage(): ReactNode {
  useTitle('Scheduled changes', 'Portico console');
  const { session } = useSession();
  const statusID = useId();
  const [status, setStatus] = useState<string>('pending');
  const list = useLoad(() => listPendingActions(status), [status]);
  // Pages after the first, for the list they continue (a reload or another filter starts over).
  const [more, setMore] = useState<{ first: PendingActionPage; items: PendingAction[]; cursor: string | null } | null>(null);
  const loadMore = useAction();
  const canCancel = session?.staff?.role === 'supervisor' || session?.staff?.role === 'admin';
  const label = STATUSES.find(([s]) => s === status)?.[1] ?? 'All';
  const extra = more && more.first === list.data ? more : null;
  const items = [...(list.data?.items ?? []), ...(extra?.items ?? [])];
  const cursor = extra ? extra.cursor : (list.data?.nextCursor ?? null);

  async function showMore(): Promise<void> {
    const first = list.data;
    if (!first || !cursor) return;
    await loadMore.run(async () => {
      const page = await listPendingActions(status, cursor);
      setMore({ first, items: [...(extra?.items ?? []), ...page.items], cursor: page.nextCursor });
    });
  }

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
      ) : items.length ? (
        <ul className="plain card" aria-label={`${label} changes`}>
          {items.map((pa) => (
            <PendingActionRow key={pa.id} action={pa} canCancel={canCancel} onChanged={() => void list.reload()} contactLink={pa.contactId ? <ContactLink id={pa.contactId} /> : null} />
          ))}
        </ul>
      ) : (
        <p className="card">{status === 'pending' ? 'Nothing is scheduled.' : `No ${label.toLowerCase()} changes.`}</p>
      )}
      <FormError error={loadMore.error} />
      {!list.error && cursor && (
        <button type="button" className="secondary" disabled={loadMore.busy} onClick={() => void showMore()}>
          Show more changes
        </button>
      )}
    </section>
  );
}
