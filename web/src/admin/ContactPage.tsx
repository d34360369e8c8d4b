import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { consoleApi } from '../api.js';
import { FormError } from '../shared/FormError.js';
import { Loading } from '../shared/Loading.js';
import { formatDateTime } from '../shared/format.js';
import { useLoad } from '../shared/useLoad.js';
import { useTitle } from '../shared/useTitle.js';
import { MFABadges } from './MFABadges.js';
import { SecurityPanel } from './SecurityPanel.js';
import { TicketTable } from './TicketTable.js';

/** One contact: details, the Security panel, and their tickets. */
export function ContactPage(): ReactNode {
  const { id = '' } = useParams();
  const contact = useLoad(() => consoleApi.getContact(id), [id]);
  const tickets = useLoad(() => consoleApi.listTickets({ contactId: id }), [id]);
  useTitle(contact.data?.name ?? 'Contact', 'Portico console');

  if (contact.loading && !contact.data) return <Loading />;
  if (!contact.data) {
    return (
      <section>
        <FormError error={contact.error} />
        <Link to="/admin/contacts">Back to contacts</Link>
      </section>
    );
  }
  const c = contact.data;
  return (
    <section>
      <p className="breadcrumb">
        <Link to="/admin/contacts">Contacts</Link>
      </p>
      <div className="page-head">
        <h1>{c.name}</h1>
        <MFABadges mfa={c.mfa} />
      </div>
      <section className="card" aria-label="Details">
        <h2>Details</h2>
        <dl className="details">
          <dt>Email</dt>
          <dd>
            {c.email} {c.emailVerified ? <span className="badge ok">confirmed</span> : <span className="badge warn">not confirmed</span>}
          </dd>
          <dt>Account</dt>
          <dd>{c.invited ? 'Invited, has not chosen a password yet' : 'Active'}</dd>
          <dt>Created</dt>
          <dd>{formatDateTime(c.createdAt)}</dd>
          <dt>Id</dt>
          <dd>
            <code>{c.id}</code>
          </dd>
        </dl>
      </section>
      <SecurityPanel contactId={c.id} onChanged={() => void contact.reload()} />
      <section className="card" aria-label="Tickets">
        <h2>Tickets</h2>
        {tickets.data ? <TicketTable tickets={tickets.data.items} empty="This contact has no tickets." showContact={false} /> : tickets.error ? <FormError error={tickets.error} /> : <Loading />}
      </section>
    </section>
  );
}
