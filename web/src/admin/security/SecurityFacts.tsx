import type { ReactNode } from 'react';
import { formatDateTime } from '../../shared/format.js';
import { FACTOR_TYPES, lockDetail, plural } from './describe.js';
import type { PanelFactor, SecurityPanelData } from './toolkit-api.js';

const when = (iso: string | null | undefined) => (iso ? formatDateTime(iso) : 'never');

/** The read-only half of the Security panel: status, factors, devices, sessions. */
export function SecurityFacts({ panel, factorAction }: { panel: SecurityPanelData; factorAction?(f: PanelFactor): ReactNode }): ReactNode {
  const p = panel;
  return (
    <>
      <dl className="details" aria-label="MFA status">
        <dt>MFA</dt>
        <dd>{p.enrolled ? <span className="badge ok">Enrolled</span> : <span className="badge warn">Not enrolled</span>}</dd>
        <dt>Setup at next sign-in</dt>
        <dd>{p.enrollmentRequired ? <span className="badge warn">Required{p.setupLinkRequired ? ' (setup link or temporary code)' : ''}</span> : 'Not required'}</dd>
        <dt>Second step</dt>
        <dd>{p.locked ? <span className="badge danger">Locked: {lockDetail(p)}</span> : 'Not locked'}</dd>
        <dt>Recovery codes left</dt>
        <dd>{p.recoveryCodesLeft}</dd>
        <dt>Temporary access code</dt>
        <dd>{p.temporaryCode ? `Outstanding, expires ${formatDateTime(p.temporaryCode.expiresAt)}` : 'None outstanding'}</dd>
      </dl>

      <h3>Factors</h3>
      {p.factors.length === 0 ? (
        <p className="empty">No factor registered.</p>
      ) : (
        <table className="table" aria-label="Factors">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Added</th>
              <th scope="col">Last used</th>
              <th scope="col">Authenticator</th>
              {factorAction && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {p.factors.map((f) => (
              <tr key={f.id}>
                <td>{f.name}</td>
                <td>{FACTOR_TYPES[f.type] ?? f.type}</td>
                <td>{formatDateTime(f.createdAt)}</td>
                <td>{when(f.lastUsedAt)}</td>
                <td>{f.type === 'webauthn' ? `${f.authenticator || 'Unknown model'}${f.backedUp ? ' (synced)' : ''}` : '—'}</td>
                {factorAction && <td>{factorAction(f)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h3>Remembered devices ({p.rememberedDevices.length})</h3>
      {p.rememberedDevices.length === 0 ? (
        <p className="empty">No remembered device.</p>
      ) : (
        <ul className="list" aria-label="Remembered devices">
          {p.rememberedDevices.map((d) => (
            <li key={d.id} className="list-item">
              {d.browser ?? 'Unknown browser'} <span className="muted">— remembered {formatDateTime(d.createdAt)}, last used {when(d.lastUsedAt)}</span>
            </li>
          ))}
        </ul>
      )}

      <h3>Active sessions ({p.activeSessions.length})</h3>
      {p.activeSessions.length === 0 ? (
        <p className="empty">Not signed in anywhere.</p>
      ) : (
        <ul className="list" aria-label="Active sessions">
          {p.activeSessions.map((s, i) => (
            <li key={i} className="list-item">
              {s.userAgent ?? 'Unknown browser'} <span className="muted">— {s.ip ?? 'unknown IP'}, signed in {formatDateTime(s.createdAt)}, last seen {when(s.lastSeenAt)}</span>
            </li>
          ))}
        </ul>
      )}
      {p.pendingSignIns && p.pendingSignIns.length > 0 && (
        <>
          <h3>Sign-ins waiting for a second step ({p.pendingSignIns.length})</h3>
          <p className="notice" role="note">
            Someone passed the password step and has not finished signing in. If a caller is asking you for a reset, check that this is where they are: a sign-in from elsewhere means someone else knows the password.
          </p>
          <ul className="list" aria-label="Sign-ins waiting for a second step">
            {p.pendingSignIns.map((s, i) => (
              <li key={i} className="list-item">
                {s.userAgent ?? 'Unknown browser'}{' '}
                <span className="muted">
                  — {s.ip ?? 'unknown IP'}, password passed {formatDateTime(s.createdAt)}, {s.state === 'mfa_required' ? 'waiting for the second step' : 'must set up a new method'}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
      <p className="muted">{plural(p.factors.length, 'factor')}, {plural(p.activeSessions.length, 'session')}.</p>
    </>
  );
}
