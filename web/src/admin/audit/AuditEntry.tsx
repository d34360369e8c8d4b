import type { CSSProperties, ReactNode } from 'react';
import { Link } from 'react-router';
import { formatDateTime } from '../../shared/format.js';
import type { AuditEvent } from '../security/toolkit-api.js';
import { identityCheckLabel } from '../security/describe.js';
import { readableAction } from './action-names.js';
import type { People } from './people.js';

function verificationText(v: AuditEvent['verification']): string {
  if (!v || !v.method) return '—';
  const label = identityCheckLabel(v.method);
  return [label, v.note].filter(Boolean).join(': ');
}

/** The second line under a name: what kind of party it is, its email when known, and its id to copy. */
function Secondary({ kind, email, id }: { kind?: string; email?: string; id: string }): ReactNode {
  return (
    <>
      <br />
      <small className="muted">
        {[kind, email].filter(Boolean).join(' · ')}
        {(kind || email) && ' · '}
        <code>{id}</code>
      </small>
    </>
  );
}

/** Who acted: a staff member or customer by name (the id under it), an API token by its id, the CLI, Portico. */
function Actor({ actor, people }: { actor: AuditEvent['actor']; people: People }): ReactNode {
  const id = actor.id;
  switch (actor.type) {
    case 'staff': {
      const s = people.staff(id);
      const name = s ? `${s.name}${s.you ? ' (you)' : ''}` : 'A staff member';
      return (
        <>
          {s && people.isAdmin && id ? (
            <Link to={`/admin/staff/${encodeURIComponent(id)}`} title={id}>
              {name}
            </Link>
          ) : (
            <span title={id ?? undefined}>{name}</span>
          )}
          {id && <Secondary kind="staff" id={id} />}
        </>
      );
    }
    case 'contact': {
      const c = people.contact(id);
      return (
        <>
          <span title={id ?? undefined}>{c?.name ?? 'The customer'}</span>
          {id && <Secondary kind="customer" id={id} />}
        </>
      );
    }
    case 'token':
      return (
        <>
          API token
          {id && <Secondary id={id} />}
        </>
      );
    case 'cli':
      return <>Command line</>;
    case 'system':
      return <>Portico</>;
    default:
      return (
        <>
          {actor.type}
          {id && <Secondary id={id} />}
        </>
      );
  }
}

/** Whom the entry concerns: a customer or a staff member, a link named by them, with the email and id under it. */
function Target({ e, people }: { e: AuditEvent; people: People }): ReactNode {
  if (!e.contactId && !e.staffId) return <>—</>;
  const contact = e.contactId ? people.contact(e.contactId) : undefined;
  const staff = e.staffId ? people.staff(e.staffId) : undefined;
  const staffName = staff ? `${staff.name}${staff.you ? ' (you)' : ''}` : 'A staff member';
  return (
    <>
      {e.contactId && (
        <div>
          <Link to={`/admin/contacts/${encodeURIComponent(e.contactId)}`} title={e.contactId}>
            {contact?.name ?? 'Customer'}
          </Link>
          <Secondary kind="customer" email={contact?.email} id={e.contactId} />
        </div>
      )}
      {e.staffId && (
        <div>
          {people.isAdmin ? (
            <Link to={`/admin/staff/${encodeURIComponent(e.staffId)}`} title={e.staffId}>
              {staffName}
            </Link>
          ) : (
            <span title={e.staffId}>{staffName}</span>
          )}
          <Secondary kind="staff" email={staff?.email} id={e.staffId} />
        </div>
      )}
    </>
  );
}

/** A name on one line where it fits; the email and id under it break anywhere rather than widen the table. */
const PERSON: CSSProperties = { minWidth: '10rem', maxWidth: '16rem', overflowWrap: 'anywhere' };

/** One audit entry as a table row. */
export function AuditEntry({ e, people }: { e: AuditEvent; people: People }): ReactNode {
  return (
    <tr>
      <td>
        <time dateTime={e.at}>{formatDateTime(e.at)}</time>
      </td>
      <td style={PERSON}>
        <Actor actor={e.actor} people={people} />
      </td>
      <td style={PERSON}>
        <Target e={e} people={people} />
      </td>
      <td title={e.action}>
        {readableAction(e.action)}
        <br />
        <code className="muted">{e.action}</code>
      </td>
      <td>{e.reason ?? '—'}</td>
      <td>{verificationText(e.verification)}</td>
      <td>{e.ip ?? '—'}</td>
      <td style={{ maxWidth: '14rem', wordBreak: 'break-word' }}>{e.userAgent ?? '—'}</td>
      <td>{e.details ? <code style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>{JSON.stringify(e.details)}</code> : '—'}</td>
    </tr>
  );
}
