import { useState, type ReactNode } from 'react';
import { FormError } from '../FormError.js';
import { Loading } from '../Loading.js';
import { formatDateTime } from '../format.js';
import { useLoad } from '../useLoad.js';
import { useSession } from '../session.js';
import { mfaApi } from './mfa-api.js';
import { securityEventName } from './security-event-names.js';

/** A readable name for one's own security event (every audit action has one). */
export const describeAction = securityEventName;

/** The person's recent security activity: what happened, when, from where. */
export function SecurityEventsCard({ version }: { version: number }): ReactNode {
  const { audience } = useSession();
  const events = useLoad(() => mfaApi(audience).securityEvents(), [audience, version]);
  const [all, setAll] = useState(false);
  const items = events.data?.items ?? [];
  const shown = all ? items : items.slice(0, 8);
  return (
    <section className="card" aria-labelledby="events-title">
      <h2 id="events-title">Recent security activity</h2>
      {events.error ? (
        <FormError error={events.error} />
      ) : !events.data ? (
        <Loading />
      ) : events.data.items.length === 0 ? (
        <p className="empty">No security activity yet.</p>
      ) : (
        <ul className="list events" aria-label="Recent security activity">
          {shown.map((e) => (
            <li key={e.id} className="list-item">
              <strong>{describeAction(e.action)}</strong>
              {(e.actor.type === 'staff' || e.actor.type === 'token') && audience === 'contact' && <span className="badge warn">by support</span>}
              <div className="muted">
                <time dateTime={e.at}>{formatDateTime(e.at)}</time>
                {e.ip && ` · ${e.ip}`}
                {e.userAgent && ` · ${briefAgent(e.userAgent)}`}
              </div>
            </li>
          ))}
        </ul>
      )}
      {!all && items.length > shown.length && (
        <button type="button" className="link-button" onClick={() => setAll(true)}>
          Show all {items.length} events
        </button>
      )}
    </section>
  );
}

/** "Chrome on Linux" rather than the whole user-agent string. */
function briefAgent(ua: string): string {
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : null;
  const os = /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : null;
  return browser && os ? `${browser} on ${os}` : browser ?? os ?? ua.slice(0, 60);
}
