import { useId, useState, type ReactNode } from 'react';
import { useSession } from '../../shared/session.js';
import { EmailCodeCheck } from '../security/EmailCodeCheck.js';
import type { IdentityCheckValue } from '../security/IdentityCheck.js';
import { SecurityPanel } from '../security/SecurityPanel.js';

const EMAIL_CODE = 1;
const CHECKS = [
  'The caller confirms the email address on file (do not read it out to them).',
  'Send an emailed verification code and have the caller read it back.',
  'The caller describes recent tickets or account details only the owner would know.',
  'Call back the phone number on file, not a number the caller gives you.',
  'Never ask for the password, recovery codes or authenticator codes: an attacker with the password could answer those.',
  'If the owner cancelled this request from the email, do not act on it.',
];

/**
 * On an MFA-recovery ticket: the banner, the identity-check list the agent works through (the
 * emailed code is sent and confirmed right in the list), and the contact's Security panel with
 * the toolkit actions (reset, temporary code, identity check). A code confirmed in the list is
 * the identity check of the next action.
 */
export function RecoveryTicketTools({ contactId }: { contactId: string }): ReactNode {
  const base = useId();
  const { session } = useSession();
  const role = session?.staff?.role;
  const mayVerify = role === 'supervisor' || role === 'admin';
  const [done, setDone] = useState<boolean[]>(CHECKS.map(() => false));
  const [check, setCheck] = useState<IdentityCheckValue | null>(null);
  const target = { kind: 'contact' as const, id: contactId };
  const tick = (i: number, v: boolean) => setDone((d) => d.map((x, j) => (j === i ? v : x)));

  return (
    <section aria-label="MFA recovery request">
      <div className="notice" role="note">
        <strong>MFA recovery request.</strong> Someone who knew this customer's password says they cannot use any of their sign-in methods. Confirm it is really the owner before
        changing anything: an attacker who has the password would call too.
      </div>
      <section className="card" aria-label="Identity checklist">
        <h2>Identity checklist</h2>
        {CHECKS.map((c, i) => (
          <div key={c}>
            <div className="field checkbox">
              <input id={`${base}-${i}`} type="checkbox" checked={done[i]} onChange={(e) => tick(i, e.target.checked)} />
              <label htmlFor={`${base}-${i}`}>{c}</label>
            </div>
            {i === EMAIL_CODE &&
              (check ? (
                <p role="status" className="success">
                  Email on file verified: the next action below records this check.
                </p>
              ) : mayVerify ? (
                <EmailCodeCheck
                  target={target}
                  person="the caller"
                  onConfirmed={(checkId) => {
                    setCheck({ verification: { method: 'email_code', checkId }, ready: true });
                    tick(EMAIL_CODE, true);
                  }}
                />
              ) : (
                <p className="hint">A supervisor or an admin can send the code.</p>
              ))}
          </div>
        ))}
        <p className="hint">
          {done.filter(Boolean).length} of {CHECKS.length} checked. The check you used is recorded with the action you take.
        </p>
      </section>
      <SecurityPanel target={target} presetCheck={check} onCheckUsed={() => setCheck(null)} />
    </section>
  );
}
