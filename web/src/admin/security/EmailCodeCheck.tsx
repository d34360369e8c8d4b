import { useEffect, useState, type ReactNode } from 'react';
import { Field } from '../../shared/Field.js';
import { FormError } from '../../shared/FormError.js';
import { useAction } from '../../shared/useAction.js';
import { isWrongCode } from '../../shared/mfa/CodeField.js';
import { toolkitApi, type Target } from './toolkit-api.js';
import { useStepUp, type StepUpGuard } from './useStepUp.js';

/** An emailed code lives 10 minutes (API.md); a confirmed check is good for one action within 30 (PRODUCT.md §4.6). */
export const CODE_VALID_MS = 10 * 60_000;
export const CHECK_VALID_MS = 30 * 60_000;
/**
 * The console measures those periods on the browser's clock, from when the API's answer arrived:
 * a few seconds are taken off, so that the console never offers a code or check the server (which
 * started counting a moment earlier) has already let go.
 */
const MARGIN_MS = 5_000;

/** "14:32" in the browser's locale. */
export function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { timeStyle: 'short' });
}

/** Whether `until` (ms, browser clock) has passed; re-renders the moment it does. Null: never. */
export function useExpired(until: number | null | undefined): boolean {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (until === null || until === undefined) return;
    const left = until - Date.now();
    if (left <= 0) return;
    // A timer that fires a little early just sets the next one.
    const timer = setTimeout(() => setTick((n) => n + 1), Math.min(left + 50, 2 ** 31 - 1));
    return () => clearTimeout(timer);
  }, [until, tick]);
  return until !== null && until !== undefined && Date.now() >= until;
}

/**
 * The emailed identity check (PRODUCT.md §4.6): send a 6-digit code to the address on file, the
 * person reads it back, the staff member confirms it. `onConfirmed` gets the confirmed check and
 * when it was confirmed (browser clock); the next toolkit action records it (single-use, 30
 * minutes). Sending and confirming need the staff member's step-up like every toolkit action:
 * `stepUp` is the enclosing dialog's (whose step-up dialog it renders outside its form); without
 * one, this renders its own.
 */
export function EmailCodeCheck({
  target,
  person,
  onConfirmed,
  stepUp,
}: {
  target: Target;
  person: string;
  onConfirmed(checkId: string, confirmedAt: number): void;
  stepUp?: StepUpGuard;
}): ReactNode {
  const [sent, setSent] = useState<{ id: string; at: number } | null>(null);
  const [code, setCode] = useState('');
  const send = useAction();
  const confirm = useAction();
  const own = useStepUp();
  const guard = stepUp ?? own;
  const codeExpired = useExpired(sent ? sent.at + CODE_VALID_MS : null);

  async function sendCode() {
    await send.run(async () => {
      const check = await guard.guard(() => toolkitApi.startIdentityCheck(target));
      setSent({ id: check.id, at: Date.now() - MARGIN_MS });
      setCode('');
      confirm.clear();
    });
  }
  async function confirmCode(e: React.FormEvent | React.MouseEvent) {
    e.preventDefault();
    if (!sent) return;
    const id = sent.id;
    if (await confirm.run(() => guard.guard(() => toolkitApi.confirmIdentityCheck(target, id, code.trim())))) onConfirmed(id, Date.now() - MARGIN_MS);
  }

  return (
    <div>
      <button type="button" className="secondary" disabled={send.busy} onClick={sendCode}>
        {sent ? 'Send a new code' : 'Send code'}
      </button>
      <FormError error={send.error} />
      {sent && (
        <>
          <p role="status" className={codeExpired ? 'notice' : 'hint'}>
            {codeExpired
              ? `The code sent at ${clockTime(sent.at)} has expired (a code is valid 10 minutes): send a new code.`
              : `Code sent to the email address on file at ${clockTime(sent.at)}, valid 10 minutes (until ${clockTime(sent.at + CODE_VALID_MS)}). Ask ${person} to read it to you.`}
          </p>
          <Field label="Code read back" error={confirm.error} apiField="code" invalid={isWrongCode(confirm.error)} value={code} onChange={setCode} autoComplete="off" maxLength={6} />
          <button type="button" disabled={confirm.busy || codeExpired || !/^\d{6}$/.test(code.trim())} onClick={confirmCode}>
            Confirm code
          </button>
          <FormError error={confirm.error} />
        </>
      )}
      {!stepUp && own.dialog}
    </div>
  );
}
