import { useState, type ReactNode } from 'react';
import { ApiError, request, type StaffRole } from '../api.js';
import { ConfirmQuestion, useConfirmFocus } from '../shared/ConfirmButton.js';

/**
 * What ending a staff member's or an API token's authority would take back with it, counted by
 * the server (GET /staff/{id}/authority, GET /api-tokens/{id}/authority) with the rules that
 * then take it back (src/recovery/ended-authority.ts).
 */
export interface TakenBack {
  /** API tokens revoked with it (a deactivation's; none for a demotion). */
  apiTokens: number;
  runningBulkResets: number;
  scheduledChanges: number;
  liveTemporaryCodes: number;
}

export const authorityApi = {
  /** What deactivating a staff member (or, with `role`, moving them to it) would take back. */
  ofStaff: (id: string, role?: StaffRole) => request<TakenBack>('GET', `/api/v1/staff/${encodeURIComponent(id)}/authority${role ? `?role=${role}` : ''}`),
  /** What revoking an API token would take back; needs a fresh step-up, as the token list does. */
  ofToken: (id: string) => request<TakenBack & { tokenId: string }>('GET', `/api/v1/api-tokens/${encodeURIComponent(id)}/authority`),
};

/** "1 scheduled change", "3 scheduled changes". */
export function countOf(n: number, thing: string): string {
  return `${n} ${thing}${n === 1 ? '' : 's'}`;
}

/**
 * "This also cancels 2 running bulk resets and 1 scheduled change, and voids 3 temporary access
 * codes." Empty when there is nothing to take back: the confirmation then says nothing more.
 */
export function alsoTakesBack(c: TakenBack): string {
  const cancels = [c.runningBulkResets ? countOf(c.runningBulkResets, 'running bulk reset') : '', c.scheduledChanges ? countOf(c.scheduledChanges, 'scheduled change') : ''].filter(Boolean);
  const parts = [...(cancels.length ? [`cancels ${cancels.join(' and ')}`] : []), ...(c.liveTemporaryCodes ? [`voids ${countOf(c.liveTemporaryCodes, 'temporary access code')}`] : [])];
  return parts.length ? `This also ${parts.join(', and ')}.` : '';
}

/** When the counts could not be read: what may go with it, said in general. */
export const MAY_ALSO_TAKE_BACK = 'Any bulk resets, scheduled changes and temporary access codes made under it that have not taken effect are cancelled too (they could not be counted just now).';

/** `question` and then `also`, when there is one. */
export function withAlso(question: string, also: string): string {
  return also ? `${question} ${also}` : question;
}

const stepUpCancelled = (err: unknown) => err instanceof ApiError && err.code === 'step_up_required';

interface ConfirmAfterCountingProps {
  /** The button's text before confirming. */
  label: string;
  confirmLabel: string;
  /** Counts what the action would take back (it may ask for a step-up first); none: it asks at once. */
  count?: () => Promise<TakenBack>;
  /** The question, given the counts (null: not counted, or they could not be read). */
  question(counts: TakenBack | null): string;
  danger?: boolean;
  disabled?: boolean;
  onConfirm(): void | Promise<void>;
}

/**
 * A destructive action that takes back more than it names, in two steps as ConfirmButton: the
 * button first counts what would go with it, then asks with the counts in the question ("Yes,
 * …" is described by it, and takes the focus); Cancel or Escape goes back to the button. The
 * question is whole when it is read out: it is shown only once the counts are in. A step-up
 * cancelled while counting asks nothing. Without `count` it asks at once, as ConfirmButton:
 * one row's actions that take turns (deactivate, then reactivate) are this one component, so the
 * focus stays on the button left in its place after the change.
 */
export function ConfirmAfterCounting({ label, confirmLabel, count, question, danger = true, disabled, onConfirm }: ConfirmAfterCountingProps): ReactNode {
  const [step, setStep] = useState<'idle' | 'counting' | 'asking'>('idle');
  const [counts, setCounts] = useState<TakenBack | null>(null);
  const focus = useConfirmFocus(step);

  async function ask() {
    setStep('counting');
    let found: TakenBack | null = null;
    try {
      found = count ? await count() : null;
    } catch (err) {
      if (stepUpCancelled(err)) {
        if (focus.mounted.current) back();
        return;
      }
    }
    if (!focus.mounted.current) return;
    setCounts(found);
    focus.next.current = 'yes';
    setStep('asking');
  }
  function back() {
    focus.next.current = 'opener';
    setStep('idle');
  }

  if (step !== 'asking') {
    return (
      // Not disabled while counting: the focus stays on it (a step-up dialog returns it here).
      <button
        ref={focus.opener}
        type="button"
        className={danger ? 'danger secondary' : 'secondary'}
        disabled={disabled}
        aria-disabled={step === 'counting' || undefined}
        aria-busy={step === 'counting' || undefined}
        onClick={() => {
          if (step === 'idle') void ask();
        }}
      >
        {label}
      </button>
    );
  }
  return <ConfirmQuestion label={label} question={question(counts)} confirmLabel={confirmLabel} danger={danger} disabled={disabled} focus={focus} onConfirm={onConfirm} onBack={back} />;
}
