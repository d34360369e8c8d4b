import { DIALOG } from './dialog-style.js';
import { ModalDialog } from '../../shared/ModalDialog.js';
import { formatDateTime } from '../../shared/format.js';
import { useState, type ReactNode } from 'react';
import { Field } from '../../shared/Field.js';
import { FormError } from '../../shared/FormError.js';
import { useAction } from '../../shared/useAction.js';
import { ACTION_TITLES, TAKES_VERIFICATION, TTL_CHOICES, delayedByWaitingPeriod, describeAction, summarize, waitingPeriodNotice, type ActionKind, type ActionOptions } from './describe.js';
import { request } from '../../api.js';
import { useLoad } from '../../shared/useLoad.js';
import { IdentityCheck, type IdentityCheckValue } from './IdentityCheck.js';
import { TemporaryCodeDisplay } from './TemporaryCodeDisplay.js';
import { toolkitApi, type ActionResult, type PanelFactor, type SecurityPanelData, type Target } from './toolkit-api.js';
import { useStepUp } from './useStepUp.js';

interface Props {
  target: Target;
  kind: ActionKind;
  panel: SecurityPanelData;
  factor?: PanelFactor;
  /** An identity check confirmed before the dialog opened (a recovery ticket's checklist). */
  initialCheck?: IdentityCheckValue | null;
  /** Called when the action ran with `initialCheck`: a confirmed check is single-use. */
  onCheckUsed?(): void;
  /** Called when the dialog closes; `changed` when the action ran. */
  onClose(changed: boolean): void;
}

function call(kind: ActionKind, t: Target, reason: string, ic: IdentityCheckValue, o: ActionOptions, factor?: PanelFactor): Promise<ActionResult> {
  const verification = ic.verification;
  switch (kind) {
    case 'reset':
      return toolkitApi.reset(t, { reason, verification, requireEnrollment: o.requireEnrollment });
    case 'removeFactor':
      return toolkitApi.removeFactor(t, factor!.id, { reason, verification, revokeSessions: o.revokeSessions });
    case 'requireEnrollment':
      return toolkitApi.requireEnrollment(t, { reason, verification });
    case 'cancelEnrollment':
      return toolkitApi.cancelRequiredEnrollment(t, { reason, verification });
    case 'temporaryCode':
      return toolkitApi.temporaryCode(t, { reason, verification, ttlMinutes: o.ttlMinutes });
    case 'revokeSessions':
      return toolkitApi.revokeSessions(t, { reason, verification });
    case 'revokeDevices':
      return toolkitApi.revokeRememberedDevices(t, { reason, verification });
    case 'unlock':
      return toolkitApi.unlock(t, { reason, verification });
  }
}

/**
 * One toolkit action: what it will change (from the panel data), a required reason, the
 * identity check, the step-up when the API asks for it, then a summary of what changed.
 */
export function ActionDialog({ target, kind, panel, factor, initialCheck, onCheckUsed, onClose }: Props): ReactNode {
  const person = target.kind === 'contact' ? 'the customer' : 'the staff member';
  const [reason, setReason] = useState('');
  const [options, setOptions] = useState<ActionOptions>({ requireEnrollment: true, revokeSessions: true, ttlMinutes: 60 });
  const [check, setCheck] = useState<IdentityCheckValue>(initialCheck ?? { verification: { method: 'none' }, ready: true });
  const [result, setResult] = useState<ActionResult | null>(null);
  const action = useAction();
  const stepUp = useStepUp();
  const title = kind === 'removeFactor' && factor ? `Remove ${factor.name}` : ACTION_TITLES[kind];
  const changes = describeAction(kind, panel, options, factor, person);
  const takesCheck = TAKES_VERIFICATION.has(kind);
  // The waiting period (hours) delays some actions on a customer: say so before confirming.
  const mfaSettings = useLoad(() => request<{ waitingPeriodHours: number }>('GET', '/api/v1/settings/mfa'), []);
  const waitingHours = mfaSettings.data?.waitingPeriodHours ?? 0;
  const delayed = target.kind === 'contact' && waitingHours > 0 && delayedByWaitingPeriod(kind, panel);
  // The dialog is described by what it will change (and the waiting period's delay): the list's
  // lines one by one, since a description taken from the list itself would be only its label.
  const describedBy = [...changes.map((_, i) => `action-change-${i}`), ...(delayed ? ['action-waiting'] : [])].join(' ');

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    await action.run(async () => {
      setResult(await stepUp.guard(() => call(kind, target, reason.trim(), check, options, factor)));
      if (takesCheck && check.verification.checkId && check.verification.checkId === initialCheck?.verification.checkId) onCheckUsed?.();
    });
  }

  if (result) {
    const code = typeof result.code === 'string' ? result.code : null;
    const scheduled = typeof result.pendingActionId === 'string' && typeof result.effectiveAt === 'string';
    return (
      <ModalDialog labelledBy="action-title" describedBy={scheduled ? 'action-scheduled' : undefined} onCancel={() => onClose(true)} style={DIALOG}>
        <h2 id="action-title">{title}: {typeof result.pendingActionId === 'string' ? 'scheduled' : 'done'}</h2>
        {scheduled && typeof result.effectiveAt === 'string' && (
          <p role="status" className="notice" id="action-scheduled">
            Scheduled for {formatDateTime(result.effectiveAt)} because of the waiting period; the customer was emailed a link to cancel it.
            {code ? ` The code below becomes usable at ${formatDateTime(result.effectiveAt)}, not before.` : ' Nothing has changed yet.'}
          </p>
        )}
        {code && typeof result.expiresAt === 'string' ? (
          <TemporaryCodeDisplay code={code} expiresAt={result.expiresAt} />
        ) : (
          <dl className="details" aria-label="What changed">
            {summarize(result).map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{v}</dd>
              </div>
            ))}
          </dl>
        )}
        <button type="button" onClick={() => onClose(true)} autoFocus>
          Done
        </button>
      </ModalDialog>
    );
  }

  return (
    <ModalDialog labelledBy="action-title" describedBy={describedBy} onCancel={() => !action.busy && onClose(false)} style={DIALOG}>
      <h2 id="action-title">{title}</h2>
      <form onSubmit={submit}>
        <h3>This will</h3>
        <ul aria-label="What will change" className="changes">
          {changes.map((c, i) => (
            <li key={c} id={`action-change-${i}`}>
              {c}
            </li>
          ))}
        </ul>
        {delayed && (
          <p className="notice" role="note" aria-label="Waiting period">
            <span id="action-waiting">{waitingPeriodNotice(kind, waitingHours)}</span>
          </p>
        )}
        {kind === 'reset' && (
          <Checkbox label="Require MFA setup at next sign-in" checked={options.requireEnrollment} onChange={(v) => setOptions({ ...options, requireEnrollment: v })} />
        )}
        {kind === 'removeFactor' && panel.factors.length > 1 && (
          <Checkbox label="Sign out everywhere" checked={options.revokeSessions} onChange={(v) => setOptions({ ...options, revokeSessions: v })} />
        )}
        {kind === 'temporaryCode' && (
          <div className="field">
            <label htmlFor="ttl">Valid for</label>
            <select id="ttl" value={options.ttlMinutes} onChange={(e) => setOptions({ ...options, ttlMinutes: Number(e.target.value) })}>
              {TTL_CHOICES.map((c) => (
                <option key={c.minutes} value={c.minutes}>
                  {c.label}
                </option>
              ))}
            </select>
          </div>
        )}
        <Field label="Reason" error={action.error} apiField="reason" value={reason} onChange={setReason} multiline rows={3} required maxLength={1000} hint="Recorded in the audit log." />
        {takesCheck && <IdentityCheck target={target} person={person} value={check} onChange={setCheck} stepUp={stepUp} error={action.error} />}
        <FormError error={action.error} />
        <div className="actions">
          <button type="submit" className="danger" disabled={action.busy || !reason.trim() || (takesCheck && !check.ready)}>
            {title}
          </button>
          <button type="button" className="secondary" onClick={() => onClose(false)}>
            Cancel
          </button>
        </div>
      </form>
      {stepUp.dialog}
    </ModalDialog>
  );
}

function Checkbox({ label, checked, onChange }: { label: string; checked: boolean; onChange(v: boolean): void }): ReactNode {
  const id = `opt-${label.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <div className="field checkbox">
      <input type="checkbox" id={id} checked={checked} onChange={(e) => onChange(e.target.checked)} />
      <label htmlFor={id}>{label}</label>
    </div>
  );
}
