import { useCallback, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../api.js';

export interface StepUpGuard {
  /** Runs `call`; on `step_up_required` asks for the step-up, then runs it once more. */
  guard<T>(call: () => Promise<T>): Promise<T>;
  /** The step-up dialog while one is asked for; render it on the page. */
  dialog: ReactNode;
}

/**
 * The inline step-up, shared by the console and the security pages: a call that answers
 * `step_up_required` opens `renderDialog`, and once it is done the same call runs again. When
 * the person cancels, the call fails with `cancelled(original)`.
 */
export function useStepUpFlow(renderDialog: (done: () => void, cancel: () => void) => ReactNode, cancelled: (original: ApiError) => unknown): StepUpGuard {
  const [asking, setAsking] = useState(false);
  const settle = useRef<{ resolve(): void; reject(): void } | null>(null);

  const guard = useCallback(
    async <T,>(call: () => Promise<T>): Promise<T> => {
      try {
        return await call();
      } catch (err) {
        if (!(err instanceof ApiError) || err.code !== 'step_up_required') throw err;
        await new Promise<void>((resolve, reject) => {
          settle.current = { resolve, reject: () => reject(cancelled(err)) };
          setAsking(true);
        });
        return call();
      }
    },
    [cancelled],
  );

  const finish = (ok: boolean) => {
    setAsking(false);
    const s = settle.current;
    settle.current = null;
    if (ok) s?.resolve();
    else s?.reject();
  };

  return { guard, dialog: asking ? renderDialog(() => finish(true), () => finish(false)) : null };
}
