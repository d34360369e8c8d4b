import { StepUpDialog } from './StepUpDialog.js';
import { useStepUpFlow, type StepUpGuard } from '../../shared/useStepUpFlow.js';

export type { StepUpGuard } from '../../shared/useStepUpFlow.js';

// Cancelling leaves the console's call failed with its own step_up_required answer.
const keepOriginal = (original: unknown) => original;

/** The console's inline step-up: the staff member's own second factor, then a retry of the call. */
export function useStepUp(): StepUpGuard {
  return useStepUpFlow((done, cancel) => <StepUpDialog onDone={done} onCancel={cancel} />, keepOriginal);
}
