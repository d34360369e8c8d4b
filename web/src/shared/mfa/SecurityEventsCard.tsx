import { useState, type ReactNode } from 'react';
import { FormError } from '../FormError.js';
import { Loading } from '../Loading.js';
import { formatDateTime } from '../format.js';
import { useLoad } from '../useLoad.js';
import { useSession } from '../session.js';
import { mfaApi } from './mfa-api.js';

const ACTIONS: Record<string, string> = {
  'auth.login.succeeded': 'Signed in',
  'auth.login.enrollment_only': 'Signed in to set up two-step verification',
  'auth.login.failed': 'Failed sign-in',
  'auth.password.succeeded': 'Password accepted',
  'auth.logout': 'Signed out',
  'auth.logout_everywhere': 'Signed out everywhere',
  'auth.password.changed': 'Password changed',
  'auth.password.reset': 'Password reset',
  'auth.password.reset_requested': 'Password reset requested',
  'auth.email.changed': 'Email address changed',
  'auth.email.change_requested': 'Email change requested',
  'auth.email.verified': 'Email address confirmed',
  'auth.signup': 'Account created',
  'mfa.factor.enrolled': 'Sign-in method added',
  'mfa.factor.removed': 'Sign-in method removed',
  'mfa.recovery_code.used': 'Recovery code used',
  'mfa.recovery_codes.generated': 'New recovery codes generated',
  'mfa.remembered_device.revoked': 'Remembered browser forgotten',
  'mfa.challenge.failed': 'Wrong second-step code',
  'mfa.step_up.succeeded': 'Identity confirmed again',
  'mfa.setup_link.used': 'Setup link used',
  'mfa.reset': 'Two-step verification reset by support',
};

/** A readable name for an audit action; unknown ones show as they are. */
export function describeAction(action: string): string {
  return ACTIONS[action] ?? action.replace(/[._]/g, ' ');
}

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
              {e.actor.type === 'staff' && audience === 'contact' && <span className="badge warn">by support</span>}
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
