import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { request } from '../../api.js';
import { formatDateTime, timeLeft } from '../../shared/format.js';
import { FormError } from '../../shared/FormError.js';
import { useAction } from '../../shared/useAction.js';
import { useActorLabel } from './useActorLabel.js';
import { useStepUp } from './useStepUp.js';

export interface PendingAction {
  id: string;
  kind: 'reset' | 'temporary_code' | 'remove_factor';
  contactId: string | null;
  reason: string;
  actor: { type: string; id: string | null };
  status: 'pending' | 'done' | 'cancelled' | 'failed';
  createdAt: string;
  effectiveAt: string;
  finishedAt?: string | null;
  cancelledBy?: string | null;
  /** What the change was scheduled with: `requireEnrollment` for a reset, `ttlMinutes` and `expiresAt` for a temporary code. */
  params?: Record<string, unknown>;
}

export const PENDING_KIND: Record<PendingAction['kind'], string> = {
  reset: 'Reset MFA',
  temporary_code: 'Temporary access code becomes usable',
  remove_factor: 'Remove authenticator',
};

/** The current time, again every minute, so "in 25 min" counts down while the page is open. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

function outcome(pa: PendingAction, now: number): string {
  const at = pa.finishedAt ? ` ${formatDateTime(pa.finishedAt)}` : '';
  if (pa.status === 'cancelled') return `Cancelled${pa.cancelledBy === 'contact' ? ' by the customer' : pa.cancelledBy === 'staff' ? ' by support' : ''}${at}`;
  if (pa.status === 'done') return `Done${at}`;
  if (pa.status === 'failed') return `Failed${at}`;
  const left = timeLeft(pa.effectiveAt, now);
  return `Takes effect ${formatDateTime(pa.effectiveAt)}${left ? ` (${left})` : ''}`;
}

function duration(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440} day${minutes === 1440 ? '' : 's'}`;
  if (minutes % 60 === 0) return `${minutes / 60} hour${minutes === 60 ? '' : 's'}`;
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** What a scheduled change will do, from what it was scheduled with (nothing when the row does not say, or it is no longer scheduled). */
export function pendingEffect(pa: PendingAction): string | null {
  const p = pa.params ?? {};
  if (pa.status !== 'pending') return null;
  if (pa.kind === 'reset' && typeof p.requireEnrollment === 'boolean') {
    const removes = 'Removes every sign-in method, recovery code and remembered browser, and signs the customer out everywhere';
    return p.requireEnrollment
      ? `${removes}; the customer must set up MFA again at the next sign-in.`
      : `${removes}; the customer can sign in with the password alone until they set up MFA again (where the MFA policy requires it, they must set it up right after the password).`;
  }
  if (pa.kind === 'temporary_code' && typeof p.ttlMinutes === 'number') {
    const until = typeof p.expiresAt === 'string' ? ` (until ${formatDateTime(p.expiresAt)})` : '';
    return `The code then works once for ${duration(p.ttlMinutes)}${until}, to set up a new sign-in method.`;
  }
  return null;
}

/** One scheduled change: what, when, who scheduled it and why, with a Cancel that asks for a reason. */
export function PendingActionRow({ action: pa, canCancel, onChanged, contactLink }: { action: PendingAction; canCancel: boolean; onChanged(): void; contactLink?: ReactNode }): ReactNode {
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const reasonID = useId();
  const summaryID = useId();
  const cancelWordID = useId();
  const cancel = useAction();
  const who = useActorLabel();
  const now = useNow();
  const effect = pendingEffect(pa);
  // Cancelling is a toolkit action: over a browser session it needs the staff member's step-up.
  const stepUp = useStepUp();
  // "Keep it" (or Escape) closes the reason form and puts the focus back on the button that opened it.
  const opener = useRef<HTMLButtonElement>(null);
  const refocus = useRef(false);
  useEffect(() => {
    if (asking || !refocus.current) return;
    refocus.current = false;
    opener.current?.focus();
  }, [asking]);
  function keep() {
    cancel.clear();
    refocus.current = true;
    setAsking(false);
  }

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (await cancel.run(() => stepUp.guard(() => request('POST', `/api/v1/pending-actions/${pa.id}/cancel`, { reason: reason.trim() })))) onChanged();
  }

  return (
    <li className="pending-action" aria-label={`${PENDING_KIND[pa.kind]}: ${pa.status}`}>
      {/* The Cancel… button's name reads this line: each says which change it cancels (and for whom). */}
      <span id={summaryID}>
        <strong>{PENDING_KIND[pa.kind]}</strong> — {outcome(pa, now)} {contactLink}
      </span>
      <br />
      {effect && (
        <>
          <span>{effect}</span>
          <br />
        </>
      )}
      <small className="hint">
        Scheduled by {who(pa.actor)} on {formatDateTime(pa.createdAt)} — reason: {pa.reason}
      </small>
      {canCancel &&
        pa.status === 'pending' &&
        (asking ? (
          <form
            onSubmit={submit}
            aria-label={`Cancel ${PENDING_KIND[pa.kind]}`}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                e.stopPropagation();
                keep();
              }
            }}
          >
            <label htmlFor={reasonID}>Reason for cancelling</label>
            {/* The form opens where the focus was: the reason is what to type next. */}
            <input id={reasonID} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} required autoFocus />
            <FormError error={cancel.error} />
            <button type="submit" className="danger" disabled={cancel.busy || !reason.trim()}>
              Cancel this change
            </button>{' '}
            <button type="button" className="secondary" onClick={keep}>
              Keep it
            </button>
          </form>
        ) : (
          <>
            <span id={cancelWordID} hidden>
              Cancel
            </span>
            <button ref={opener} type="button" className="secondary" aria-labelledby={`${cancelWordID} ${summaryID}`} onClick={() => setAsking(true)}>
              Cancel…
            </button>
          </>
        ))}
      {/* Beside the form, never inside it: the step-up dialog has its own form. */}
      {stepUp.dialog}
    </li>
  );
}

/** The Security panel's list of changes waiting for the waiting period to end. */
export function PendingActions({ items, canCancel, onChanged }: { items: PendingAction[]; canCancel: boolean; onChanged(): void }): ReactNode {
  const pending = items.filter((pa) => (pa.status ?? 'pending') === 'pending');
  if (!pending.length) return null;
  return (
    <section aria-label="Scheduled changes">
      <h3>Scheduled changes (waiting period)</h3>
      <ul className="plain">
        {pending.map((pa) => (
          <PendingActionRow key={pa.id} action={pa} canCancel={canCancel} onChanged={onChanged} />
        ))}
      </ul>
    </section>
  );
}
