import { StepUpDialog, type StepUpMethods } from './StepUpDialog.js';
import { useStepUpFlow, type StepUpGuard } from '../useStepUpFlow.js';

export type { StepUpGuard } from '../useStepUpFlow.js';

/** The person cancelled the step-up: the action did not happen, and there is nothing to show. */
export class StepUpCancelled extends Error {
  constructor() {
    super('Cancelled: nothing was changed.');
    this.name = 'StepUpCancelled';
  }
}

const cancelled = () => new StepUpCancelled();

/** The security pages' inline step-up, with the methods this person has. */
export function useStepUp(methods: StepUpMethods): StepUpGuard {
  return useStepUpFlow((done, cancel) => <StepUpDialog methods={methods} onDone={done} onCancel={cancel} />, cancelled);
}
