import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { Ticket } from '../api.js';
import { StatusBadge } from '../shared/StatusBadge.js';
import { formatDateTime } from '../shared/format.js';

/** Tickets in a table for the console's lists. */
export function TicketTable({ tickets, empty, showContact = true }: { tickets: Ticket[]; empty: string; showContact?: boolean }): ReactNode {
  if (!tickets.length) return <p className="empty">{empty}</p>;
  return (
    <table className="table">
      <thead>
        <tr>
          <th scope="col">Subject</th>
          {showContact && <th scope="col">Contact</th>}
          <th scope="col">Status</th>
          <th scope="col">Updated</th>
        </tr>
      </thead>
      <tbody>
        {tickets.map((t) => (
          <tr key={t.id}>
            <td>
              <Link to={`/admin/tickets/${t.id}`}>{t.subject}</Link> {t.recovery && <span className="badge warn">MFA recovery</span>}
            </td>
            {showContact && <td>{t.contact ? `${t.contact.name} <${t.contact.email}>` : '—'}</td>}
            <td>
              <StatusBadge status={t.status} />
            </td>
            <td>{formatDateTime(t.updatedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
