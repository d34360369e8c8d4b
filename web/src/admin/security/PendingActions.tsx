import { useId, useState, type ReactNode } from 'react';
import { request } from '../../api.js';
import { formatDateTime } from '../../shared/format.js';
import { FormError } from '../../shared/FormError.js';
import { useAction } from '../../shared/useAction.js';

export interface PendingAction {
  id: string;
  kind: 'reset' | 'temporary_code' | 'remove_factor';
  contactId: string | null;
  reason: string;
  actor: { type: string; id: string | null };
  status: string;
  createdAt: string;
  effectiveAt: string;
}

export const PENDING_KIND: Record<PendingAction['kind'], string> = {
  reset: 'Reset MFA',
  temporary_code: 'Temporary access code becomes usable',
  remove_factor: 'Remove authenticator',
};

/** One scheduled change with a Cancel that asks for a reason. */
export function PendingActionRow({ action: pa, canCancel, onChanged, contactLink }: { action: PendingAction; canCancel: boolean; onChanged(): void; contactLink?: ReactNode }): ReactNode {
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const reasonID = useId();
  const cancel = useAction();

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (await cancel.run(() => request('POST', `/api/v1/pending-actions/${pa.id}/cancel`, { reason: reason.trim() }))) onChanged();
  }

  return (
    <li className="pending-action">
      <strong>{PENDING_KIND[pa.kind]}</strong> on {formatDateTime(pa.effectiveAt)} {contactLink}
      <br />
      <small className="hint">
        Scheduled {formatDateTime(pa.createdAt)} — reason: {pa.reason}
      </small>
      {canCancel &&
        (asking ? (
          <form onSubmit={submit} aria-label={`Cancel ${PENDING_KIND[pa.kind]}`}>
            <label htmlFor={reasonID}>Reason for cancelling</label>
            <input id={reasonID} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} required />
            <FormError error={cancel.error} />
            <button type="submit" className="danger" disabled={cancel.busy || !reason.trim()}>
              Cancel this change
            </button>
          </form>
        ) : (
          <button type="button" className="secondary" onClick={() => setAsking(true)}>
            Cancel…
          </button>
        ))}
    </li>
  );
}

/** The Security panel's list of changes waiting for the waiting period to end. */
export function PendingActions({ items, canCancel, onChanged }: { items: PendingAction[]; canCancel: boolean; onChanged(): void }): ReactNode {
  if (!items.length) return null;
  return (
    <section aria-label="Scheduled changes">
      <h3>Scheduled changes (waiting period)</h3>
      <ul className="plain">
        {items.map((pa) => (
          <PendingActionRow key={pa.id} action={pa} canCancel={canCancel} onChanged={onChanged} />
        ))}
      </ul>
    </section>
  );
}
