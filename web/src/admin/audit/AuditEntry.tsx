import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { formatDateTime } from '../../shared/format.js';
import type { AuditEvent } from '../security/toolkit-api.js';
import { identityCheckLabel } from '../security/describe.js';
import { readableAction } from './action-names.js';

const ACTORS: Record<AuditEvent['actor']['type'], string> = { contact: 'Customer', staff: 'Staff', token: 'API token', cli: 'CLI', system: 'System' };

function verificationText(v: AuditEvent['verification']): string {
  if (!v || !v.method) return '—';
  const label = identityCheckLabel(v.method);
  return [label, v.note].filter(Boolean).join(': ');
}

/** One audit entry as a table row. */
export function AuditEntry({ e }: { e: AuditEvent }): ReactNode {
  return (
    <tr>
      <td>
        <time dateTime={e.at}>{formatDateTime(e.at)}</time>
      </td>
      <td>
        {ACTORS[e.actor.type] ?? e.actor.type} {e.actor.id && <code>{e.actor.id}</code>}
      </td>
      <td>
        {e.contactId && <Link to={`/admin/contacts/${encodeURIComponent(e.contactId)}`}>{e.contactId}</Link>}
        {e.staffId && <Link to={`/admin/staff/${encodeURIComponent(e.staffId)}`}>{e.staffId}</Link>}
        {!e.contactId && !e.staffId && '—'}
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
