import { useEffect, useRef, type ReactNode } from 'react';
import { ConfirmButton } from '../ConfirmButton.js';
import { FormError } from '../FormError.js';
import { useAction } from '../useAction.js';
import { useSession } from '../session.js';
import { mfaApi } from './mfa-api.js';
import { StepUpCancelled, type StepUpGuard } from './useStepUp.js';

interface RecoveryCodesCardProps {
  left: number;
  guard: StepUpGuard['guard'];
  onCodes(codes: string[]): void;
  /** Takes the keyboard focus when shown (it comes back in place of the new codes, which had it). */
  takeFocus?: boolean;
}

/** How many recovery codes are left, and a new set (which voids the old one). */
export function RecoveryCodesCard({ left, guard, onCodes, takeFocus = false }: RecoveryCodesCardProps): ReactNode {
  const { audience } = useSession();
  const action = useAction();
  const title = useRef<HTMLHeadingElement>(null);
  // On mount only: a later render (the count changing) leaves the focus where it is.
  const focusFirst = useRef(takeFocus);
  useEffect(() => {
    if (focusFirst.current) title.current?.focus();
  }, []);
  async function regenerate() {
    let codes: string[] = [];
    if (await action.run(async () => (codes = (await guard(() => mfaApi(audience).regenerateRecoveryCodes())).codes))) onCodes(codes);
  }
  return (
    <section className="card" aria-labelledby="recovery-title">
      <h2 id="recovery-title" ref={title} tabIndex={-1}>
        Recovery codes
      </h2>
      <p>
        {left === 0 ? 'You have no recovery codes left.' : `You have ${left} unused recovery code${left === 1 ? '' : 's'}.`} Each one lets you sign in once
        when you cannot use your other methods.
      </p>
      <ConfirmButton
        label="Generate new recovery codes"
        question="Your current recovery codes stop working and 10 new ones are shown once."
        confirmLabel="Yes, generate new codes"
        danger={false}
        disabled={action.busy}
        onConfirm={regenerate}
      />
      <FormError error={action.error instanceof StepUpCancelled ? null : action.error} />
    </section>
  );
}
