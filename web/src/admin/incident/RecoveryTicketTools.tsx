import { useId, useState, type ReactNode } from 'react';
import { SecurityPanel } from '../security/SecurityPanel.js';

const CHECKS = [
  'The caller confirms the email address on file (do not read it out to them).',
  'Send an emailed verification code (Security panel below) and have the caller read it back.',
  'The caller describes recent tickets or account details only the owner would know.',
  'Call back the phone number on file, not a number the caller gives you.',
  'Never ask for the password, recovery codes or authenticator codes.',
  'If the owner cancelled this request from the email, do not act on it.',
];

/**
 * On an MFA-recovery ticket: the banner, the identity-check list the agent works through, and
 * the contact's Security panel with the toolkit actions (reset, temporary code, identity check).
 */
export function RecoveryTicketTools({ contactId }: { contactId: string }): ReactNode {
  const base = useId();
  const [done, setDone] = useState<boolean[]>(CHECKS.map(() => false));
  return (
    <section aria-label="MFA recovery request">
      <div className="notice" role="note">
        <strong>MFA recovery request.</strong> Someone who knew this customer's password says they cannot use any of their sign-in methods. Confirm it is really the owner before
        changing anything: an attacker who has the password would call too.
      </div>
      <section className="card" aria-label="Identity checklist">
        <h2>Identity checklist</h2>
        {CHECKS.map((c, i) => (
          <div className="field checkbox" key={c}>
            <input id={`${base}-${i}`} type="checkbox" checked={done[i]} onChange={(e) => setDone(done.map((d, j) => (j === i ? e.target.checked : d)))} />
            <label htmlFor={`${base}-${i}`}>{c}</label>
          </div>
        ))}
        <p className="hint">{done.filter(Boolean).length} of {CHECKS.length} checked. Record the check you used in the action's identity-check section.</p>
      </section>
      <SecurityPanel target={{ kind: 'contact', id: contactId }} />
    </section>
  );
}
