import { useCallback, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../../api.js';
import { StepUpDialog } from './StepUpDialog.js';

export interface StepUpGuard {
  /** Runs `call`; on `step_up_required` asks for the step-up, then runs it once more. */
  guard<T>(call: () => Promise<T>): Promise<T>;
  /** The step-up dialog while one is asked for; render it somewhere on the page. */
  dialog: ReactNode;
}

/** Handles `step_up_required` inline: the dialog, then a retry of the same call. */
export function useStepUp(): StepUpGuard {
  const [asking, setAsking] = useState(false);
  const settle = useRef<{ resolve(): void; reject(e: unknown): void } | null>(null);

  const guard = useCallback(async <T,>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'step_up_required') throw err;
      await new Promise<void>((resolve, reject) => {
        settle.current = { resolve, reject: () => reject(err) };
        setAsking(true);
      });
      return call();
    }
  }, []);

  const finish = (ok: boolean) => {
    setAsking(false);
    const s = settle.current;
    settle.current = null;
    if (ok) s?.resolve();
    else s?.reject(null);
  };

  const dialog = asking ? <StepUpDialog onDone={() => finish(true)} onCancel={() => finish(false)} /> : null;
  return { guard, dialog };
}
