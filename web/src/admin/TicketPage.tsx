import { useId, useState, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { consoleApi, type TicketStatus } from '../api.js';
import { FormError } from '../shared/FormError.js';
import { formatDateTime } from '../shared/format.js';
import { Loading } from '../shared/Loading.js';
import { Messages } from '../shared/Messages.js';
import { ReplyForm } from '../shared/ReplyForm.js';
import { StatusBadge } from '../shared/StatusBadge.js';
import { useAction } from '../shared/useAction.js';
import { useLoad } from '../shared/useLoad.js';
import { useTitle } from '../shared/useTitle.js';
import { RecoveryTicketTools } from './incident/RecoveryTicketTools.js';

/** A ticket in the console: the conversation (plain text), a reply box and its status. */
export function TicketPage(): ReactNode {
  const { id = '' } = useParams();
  const statusID = useId();
  const ticket = useLoad(() => consoleApi.getTicket(id), [id]);
  const statusAction = useAction();
  const [savedStatus, setSavedStatus] = useState<TicketStatus | null>(null);
  useTitle(ticket.data?.subject ?? 'Ticket', 'Portico console');

  if (ticket.loading && !ticket.data) return <Loading />;
  if (!ticket.data) {
    return (
      <section>
        <FormError error={ticket.error} />
        <Link to="/admin/tickets">Back to tickets</Link>
      </section>
    );
  }
  const t = ticket.data;

  async function changeStatus(status: TicketStatus) {
    setSavedStatus(null);
    if (await statusAction.run(() => consoleApi.setTicketStatus(id, status))) {
      setSavedStatus(status);
      await ticket.reload();
    }
  }

  return (
    <section>
      <p className="breadcrumb">
        <Link to="/admin/tickets">Tickets</Link>
      </p>
      <div className="page-head">
        <h1>{t.subject}</h1>
        <StatusBadge status={t.status} />
        {t.recovery && (t.recoveryCancelledAt ? <span className="badge danger">MFA recovery — cancelled by the owner</span> : <span className="badge warn">MFA recovery</span>)}
      </div>
      {t.recovery && t.recoveryCancelledAt ? (
        // The owner said it was not them: the caller knows the password. No recovery tools here.
        <div className="error" role="alert">
          <strong>This MFA recovery request was cancelled by the account owner</strong> on {formatDateTime(t.recoveryCancelledAt)}: they said it was not them. Whoever asked
          knows the password, so treat any call or reply about it as possible social engineering. Do not reset two-step verification or issue a temporary code because of
          this request; if the owner contacts you again, check their identity from scratch.
        </div>
      ) : (
        t.recovery && t.contact?.id && <RecoveryTicketTools contactId={t.contact.id} />
      )}
      <div className="ticket-layout">
        <div>
          <Messages messages={t.messages} viewer="staff" />
          <ReplyForm send={(message) => consoleApi.reply(id, message)} onSent={ticket.reload} />
        </div>
        <aside className="card" aria-label="Ticket details">
          <div className="field">
            <label htmlFor={statusID}>Status</label>
            <select id={statusID} value={t.status} disabled={statusAction.busy} onChange={(e) => changeStatus(e.target.value as TicketStatus)}>
              <option value="open">Open</option>
              <option value="pending">Pending</option>
              <option value="solved">Solved</option>
            </select>
          </div>
          {savedStatus && (
            <p role="status" className="success">
              Status saved.
            </p>
          )}
          <FormError error={statusAction.error} />
          {t.contact && (
            <p>
              From <Link to={`/admin/contacts/${t.contact.id}`}>{t.contact.name}</Link>
              <br />
              <span className="muted">{t.contact.email}</span>
            </p>
          )}
        </aside>
      </div>
    </section>
  );
}
