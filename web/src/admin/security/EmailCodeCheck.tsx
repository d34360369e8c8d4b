import { useState, type ReactNode } from 'react';
import { Field } from '../../shared/Field.js';
import { FormError } from '../../shared/FormError.js';
import { useAction } from '../../shared/useAction.js';
import { isWrongCode } from '../../shared/mfa/CodeField.js';
import { toolkitApi, type Target } from './toolkit-api.js';
import { useStepUp, type StepUpGuard } from './useStepUp.js';

/**
 * The emailed identity check (PRODUCT.md §4.6): send a 6-digit code to the address on file, the
 * person reads it back, the staff member confirms it. `onConfirmed` gets the confirmed check,
 * which the next toolkit action records (single-use, 30 minutes). Sending and confirming need
 * the staff member's step-up like every toolkit action: `stepUp` is the enclosing dialog's
 * (whose step-up dialog it renders outside its form); without one, this renders its own.
 */
export function EmailCodeCheck({ target, person, onConfirmed, stepUp }: { target: Target; person: string; onConfirmed(checkId: string): void; stepUp?: StepUpGuard }): ReactNode {
  const [checkId, setCheckId] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const send = useAction();
  const confirm = useAction();
  const own = useStepUp();
  const guard = stepUp ?? own;

  async function sendCode() {
    await send.run(async () => {
      const check = await guard.guard(() => toolkitApi.startIdentityCheck(target));
      setCheckId(check.id);
      setCode('');
      confirm.clear();
    });
  }
  async function confirmCode(e: React.FormEvent | React.MouseEvent) {
    e.preventDefault();
    if (!checkId) return;
    const id = checkId;
    if (await confirm.run(() => guard.guard(() => toolkitApi.confirmIdentityCheck(target, id, code.trim())))) onConfirmed(id);
  }

  return (
    <div>
      <button type="button" className="secondary" disabled={send.busy} onClick={sendCode}>
        {checkId ? 'Send a new code' : 'Send code'}
      </button>
      <FormError error={send.error} />
      {checkId && (
        <>
          <p className="hint">A 6-digit code was emailed to the address on file (valid 10 minutes). Ask {person} to read it to you.</p>
          <Field label="Code read back" error={confirm.error} apiField="code" invalid={isWrongCode(confirm.error)} value={code} onChange={setCode} autoComplete="off" maxLength={6} />
          <button type="button" disabled={confirm.busy || !/^\d{6}$/.test(code.trim())} onClick={confirmCode}>
            Confirm code
          </button>
          <FormError error={confirm.error} />
        </>
      )}
      {!stepUp && own.dialog}
    </div>
  );
}
