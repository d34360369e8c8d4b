import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { helpCenter } from '../api.js';
import { FormError } from '../shared/FormError.js';
import { Loading } from '../shared/Loading.js';
import { Messages } from '../shared/Messages.js';
import { ReplyForm } from '../shared/ReplyForm.js';
import { StatusBadge } from '../shared/StatusBadge.js';
import { useLoad } from '../shared/useLoad.js';
import { useTitle } from '../shared/useTitle.js';

/** One of the customer's tickets: the conversation (plain text) and a reply box. */
export function TicketPage(): ReactNode {
  const { id = '' } = useParams();
  const ticket = useLoad(() => helpCenter.getTicket(id), [id]);
  useTitle(ticket.data?.subject ?? 'Ticket');

  if (ticket.loading && !ticket.data) return <Loading />;
  if (!ticket.data) {
    return (
      <section>
        <FormError error={ticket.error} />
        <Link to="/tickets">Back to my tickets</Link>
      </section>
    );
  }
  const t = ticket.data;
  return (
    <section>
      <p className="breadcrumb">
        <Link to="/tickets">My tickets</Link>
      </p>
      <div className="page-head">
        <h1>{t.subject}</h1>
        <StatusBadge status={t.status} />
      </div>
      <Messages messages={t.messages} viewer="contact" />
      <ReplyForm send={(message) => helpCenter.reply(id, message)} onSent={ticket.reload} />
    </section>
  );
}
