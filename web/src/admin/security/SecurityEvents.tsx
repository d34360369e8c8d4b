import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { FormError } from '../../shared/FormError.js';
import { Loading } from '../../shared/Loading.js';
import { formatDateTime } from '../../shared/format.js';
import { useLoad } from '../../shared/useLoad.js';
import { auditApi } from '../audit/audit-api.js';
import { readableAction } from '../audit/action-names.js';
import { identityCheckLabel } from './describe.js';
import type { Target } from './toolkit-api.js';
import { useActorLabel } from './useActorLabel.js';

/** The person's recent security events, newest first, with a link to the full audit log. */
export function SecurityEvents({ target, version }: { target: Target; version: number }): ReactNode {
  const filter: Record<string, string> = target.kind === 'contact' ? { contactId: target.id } : { staffId: target.id };
  const events = useLoad(() => auditApi.list(filter, null, 15), [target.kind, target.id, version]);
  const q = new URLSearchParams(filter).toString();
  const who = useActorLabel();
  return (
    <>
      <h3>Recent events</h3>
      {events.error ? (
        <FormError error={events.error} />
      ) : !events.data ? (
        <Loading />
      ) : events.data.items.length === 0 ? (
        <p className="empty">No security events yet.</p>
      ) : (
        <ul className="list" aria-label="Recent security events">
          {events.data.items.map((e) => (
            <li key={e.id} className="list-item">
              <strong>{readableAction(e.action)}</strong>{' '}
              <span className="muted">
                — {formatDateTime(e.at)}, by {who(e.actor)}
                {e.reason ? `; reason: ${e.reason}` : ''}
                {e.verification?.method && e.verification.method !== 'none' ? `; identity check: ${identityCheckLabel(e.verification.method).toLowerCase()}` : ''}
              </span>
            </li>
          ))}
        </ul>
      )}
      <Link to={`/admin/audit?${q}`}>All events in the audit log</Link>
    </>
  );
}
