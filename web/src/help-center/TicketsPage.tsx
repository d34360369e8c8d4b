import { useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { helpCenter, type Ticket } from '../api.js';
import { FormError } from '../shared/FormError.js';
import { Loading } from '../shared/Loading.js';
import { StatusBadge } from '../shared/StatusBadge.js';
import { formatDateTime } from '../shared/format.js';
import { useAction } from '../shared/useAction.js';
import { useLoad } from '../shared/useLoad.js';
import { useSession } from '../shared/session.js';
import { useTitle } from '../shared/useTitle.js';
import { NewTicketForm } from './NewTicketForm.js';
import { VerifyEmailNotice } from '../shared/account/VerifyEmailNotice.js';

/** The customer's own tickets, newest first, and a form to open a new one. */
export function TicketsPage(): ReactNode {
  const { session } = useSession();
  const list = useLoad(() => helpCenter.listTickets(), []);
  const [more, setMore] = useState<Ticket[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [composing, setComposing] = useState(false);
  const loadMore = useAction();
  useTitle('My tickets');

  const verified = session?.contact?.emailVerified !== false;
  const nextCursor = cursor === undefined ? list.data?.nextCursor : cursor;
  const tickets = [...(list.data?.items ?? []), ...more];

  async function fetchMore() {
    if (!nextCursor) return;
    await loadMore.run(async () => {
      const page = await helpCenter.listTickets(nextCursor);
      setMore((m) => [...m, ...page.items]);
      setCursor(page.nextCursor);
    });
  }

  return (
    <section>
      <div className="page-head">
        <h1>My tickets</h1>
        {verified && !composing && (
          <button type="button" onClick={() => setComposing(true)}>
            New ticket
          </button>
        )}
      </div>
      {!verified && <VerifyEmailNotice />}
      {composing && <NewTicketForm onCancel={() => setComposing(false)} />}
      {list.loading && !list.data ? (
        <Loading />
      ) : list.error ? (
        <FormError error={list.error} />
      ) : tickets.length === 0 ? (
        <p className="empty">No tickets yet. When you open a ticket, it appears here with the team's answers.</p>
      ) : (
        <ul className="list" aria-label="Tickets">
          {tickets.map((t) => (
            <li key={t.id} className="list-item">
              <Link to={`/tickets/${t.id}`} className="list-title">
                {t.subject}
              </Link>
              <span className="list-meta">
                <StatusBadge status={t.status} /> Updated {formatDateTime(t.updatedAt)}
              </span>
            </li>
          ))}
        </ul>
      )}
      {nextCursor && (
        <button type="button" className="secondary" onClick={fetchMore} disabled={loadMore.busy}>
          {loadMore.busy ? 'Loading…' : 'Load more'}
        </button>
      )}
      <FormError error={loadMore.error} />
    </section>
  );
}
