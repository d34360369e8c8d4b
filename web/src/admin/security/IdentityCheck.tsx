import { useState, type ReactNode } from 'react';
import { Field } from '../../shared/Field.js';
import { FormError } from '../../shared/FormError.js';
import { useAction } from '../../shared/useAction.js';
import { toolkitApi, type Target, type Verification, type VerificationMethod } from './toolkit-api.js';

export interface IdentityCheckValue {
  verification: Verification;
  /** False while an emailed code is chosen but not yet confirmed. */
  ready: boolean;
}

/**
 * How the staff member checked who they are talking to (PRODUCT.md §4.6): an emailed 6-digit
 * code the person reads back, a call-back to the number on file, something else, or nothing.
 */
export function IdentityCheck({ target, person, value, onChange }: { target: Target; person: string; value: IdentityCheckValue; onChange(v: IdentityCheckValue): void }): ReactNode {
  const [checkId, setCheckId] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const send = useAction();
  const confirm = useAction();
  const method = value.verification.method;
  const confirmed = method === 'email_code' && !!value.verification.checkId && value.ready;

  const choices: Array<[VerificationMethod, string]> = [
    ['email_code', `Email a code to ${person}`],
    ['callback', 'Called back the number on file'],
    ['other', 'Other'],
    ['none', 'None'],
  ];

  function choose(m: VerificationMethod) {
    onChange({ verification: { method: m, ...(m === 'callback' || m === 'other' ? { note: value.verification.note ?? '' } : {}) }, ready: m !== 'email_code' });
  }
  async function sendCode() {
    await send.run(async () => {
      const check = await toolkitApi.startIdentityCheck(target);
      setCheckId(check.id);
      setCode('');
    });
  }
  async function confirmCode(e: React.FormEvent | React.MouseEvent) {
    e.preventDefault();
    if (!checkId) return;
    const id = checkId;
    if (await confirm.run(() => toolkitApi.confirmIdentityCheck(target, id, code.trim()))) {
      onChange({ verification: { method: 'email_code', checkId: id }, ready: true });
    }
  }

  return (
    <fieldset className="identity-check">
      <legend>Identity check</legend>
      {choices.map(([m, label]) => (
        <div className="field checkbox" key={m}>
          <input type="radio" id={`idcheck-${m}`} name="identity-check" checked={method === m} onChange={() => choose(m)} />
          <label htmlFor={`idcheck-${m}`}>{label}</label>
        </div>
      ))}
      {method === 'email_code' &&
        (confirmed ? (
          <p role="status" className="success">
            Email on file verified. The check is used by this action.
          </p>
        ) : (
          <div>
            <button type="button" className="secondary" disabled={send.busy} onClick={sendCode}>
              {checkId ? 'Send a new code' : 'Send code'}
            </button>
            <FormError error={send.error} />
            {checkId && (
              <>
                <p className="hint">A 6-digit code was emailed to the address on file (valid 10 minutes). Ask {person} to read it to you.</p>
                <Field label="Code read back" value={code} onChange={setCode} autoComplete="off" maxLength={6} />
                <button type="button" disabled={confirm.busy || !/^\d{6}$/.test(code.trim())} onClick={confirmCode}>
                  Confirm code
                </button>
                <FormError error={confirm.error} />
              </>
            )}
          </div>
        ))}
      {(method === 'callback' || method === 'other') && (
        <Field
          label="Note on the check"
          value={value.verification.note ?? ''}
          onChange={(note) => onChange({ verification: { method, note }, ready: true })}
          maxLength={500}
          hint={method === 'callback' ? 'For example the number you called.' : 'How you checked who you are talking to.'}
        />
      )}
    </fieldset>
  );
}
