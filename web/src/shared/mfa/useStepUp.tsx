import { useCallback, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../../api.js';
import { StepUpDialog, type StepUpMethods } from './StepUpDialog.js';

export interface StepUpGuard {
  /** Runs `call`; on `step_up_required` asks for the step-up, then runs it once more. */
  guard<T>(call: () => Promise<T>): Promise<T>;
  /** The step-up dialog while one is asked for; render it on the page. */
  dialog: ReactNode;
}

/** The person cancelled the step-up: the action did not happen, and there is nothing to show. */
export class StepUpCancelled extends Error {
  constructor() {
    super('Cancelled: nothing was changed.');
    this.name = 'StepUpCancelled';
  }
}

/** Handles `step_up_required` inline: the dialog, then a retry of the same call. */
export function useStepUp(methods: StepUpMethods): StepUpGuard {
  const [asking, setAsking] = useState(false);
  const settle = useRef<{ resolve(): void; reject(e: unknown): void } | null>(null);

  const guard = useCallback(async <T,>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'step_up_required') throw err;
      await new Promise<void>((resolve, reject) => {
        settle.current = { resolve, reject };
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
    else s?.reject(new StepUpCancelled());
  };

  const dialog = asking ? <StepUpDialog methods={methods} onDone={() => finish(true)} onCancel={() => finish(false)} /> : null;
  return { guard, dialog };
}
