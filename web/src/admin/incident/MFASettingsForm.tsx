import { useEffect, useId, useState, type ReactNode } from 'react';
import { request } from '../../api.js';
import { describedBy, Field, FieldErrorText } from '../../shared/Field.js';
import { fieldErrorMessages, FormError } from '../../shared/FormError.js';
import { useAction } from '../../shared/useAction.js';
import { useLoad } from '../../shared/useLoad.js';
import { useStepUp } from '../security/useStepUp.js';

interface MFASettings {
  policy: 'off' | 'optional' | 'required';
  rememberDeviceDays: number;
  waitingPeriodHours: number;
  requireEmailVerification: boolean;
}

/** Admins: MFA policy, remembered devices, the waiting period and required identity checks. */
export function MFASettingsForm(): ReactNode {
  const ids = { policy: useId(), days: useId(), hours: useId(), check: useId() };
  const loaded = useLoad(() => request<MFASettings>('GET', '/api/v1/settings/mfa'), []);
  const [form, setForm] = useState<MFASettings | null>(null);
  const [reason, setReason] = useState('');
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const stepUp = useStepUp();
  useEffect(() => {
    if (loaded.data && !form) setForm(loaded.data);
  }, [loaded.data, form]);

  if (!form) return loaded.error ? <FormError error={loaded.error} /> : null;
  // A shorter period ends the remembered browsers older than it when saved (settings/service.ts).
  const shortens = loaded.data !== undefined && loaded.data !== null && form.rememberDeviceDays < loaded.data.rememberDeviceDays;
  const set = (patch: Partial<MFASettings>) => {
    setSaved(false);
    setForm({ ...form, ...patch });
  };

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    let stored: MFASettings | undefined;
    if (await action.run(async () => (stored = await stepUp.guard(() => request<MFASettings>('PUT', '/api/v1/settings/mfa', { ...form, reason: reason.trim() }))))) {
      // What is saved is the new baseline: a shorter period is no longer a pending change.
      if (stored) loaded.setData(stored);
      setSaved(true);
      setReason('');
    }
  }

  // The step-up dialog has its own form: it is rendered beside this one, never inside it (a
  // nested form's Confirm submitted the page instead of the step-up).
  // The API names a number it refused (over 90 days, say): that input is marked and says why.
  const daysErrors = fieldErrorMessages(action.error, 'rememberDeviceDays');
  const hoursErrors = fieldErrorMessages(action.error, 'waitingPeriodHours');
  return (
    <>
      <form className="card narrow-left" onSubmit={submit} aria-label="MFA settings" noValidate>
        <h2>Two-step verification</h2>
        <div className="field">
          <label htmlFor={ids.policy}>MFA policy for customers</label>
          <select id={ids.policy} value={form.policy} onChange={(e) => set({ policy: e.target.value as MFASettings['policy'] })}>
            <option value="off">Off — no second step, enrollment hidden</option>
            <option value="optional">Optional — customers choose</option>
            <option value="required">Required — every customer must enroll</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.days}>Remember a browser for (days, 0 turns it off)</label>
          <input
            id={ids.days}
            type="number"
            min={0}
            max={90}
            value={form.rememberDeviceDays}
            onChange={(e) => set({ rememberDeviceDays: Number(e.target.value) })}
            aria-invalid={daysErrors.length > 0 || undefined}
            aria-describedby={describedBy(daysErrors.length ? `${ids.days}-error` : undefined, shortens ? `${ids.days}-hint` : undefined)}
          />
          <FieldErrorText id={`${ids.days}-error`} messages={daysErrors} />
          {shortens && (
            <small id={`${ids.days}-hint`} className="hint" role="status">
              {form.rememberDeviceDays === 0
                ? 'Saving forgets every remembered browser: customers will be asked for their second step at their next sign-in.'
                : `Saving forgets every browser remembered more than ${form.rememberDeviceDays} day${form.rememberDeviceDays === 1 ? '' : 's'} ago and shortens the others to ${form.rememberDeviceDays} day${form.rememberDeviceDays === 1 ? '' : 's'}; lengthening the period later does not bring them back.`}
            </small>
          )}
        </div>
        <div className="field">
          <label htmlFor={ids.hours}>Waiting period before resets and temporary codes (hours)</label>
          <input
            id={ids.hours}
            type="number"
            min={0}
            max={168}
            value={form.waitingPeriodHours}
            onChange={(e) => set({ waitingPeriodHours: Number(e.target.value) })}
            aria-invalid={hoursErrors.length > 0 || undefined}
            aria-describedby={describedBy(hoursErrors.length ? `${ids.hours}-error` : undefined, `${ids.hours}-hint`)}
          />
          <FieldErrorText id={`${ids.hours}-error`} messages={hoursErrors} />
          <small id={`${ids.hours}-hint`} className="hint">
            We recommend 24 hours: the customer is emailed and can cancel before a reset happens, so a caller who talks support into it cannot take the account first. Bulk resets and the CLI break-glass are exempt.
          </small>
        </div>
        <div className="field checkbox">
          <input id={ids.check} type="checkbox" checked={form.requireEmailVerification} onChange={(e) => set({ requireEmailVerification: e.target.checked })} />
          <label htmlFor={ids.check}>Require an emailed identity check before any action on a customer who has MFA</label>
        </div>
        <Field label="Reason for the change" error={action.error} apiField="reason" value={reason} onChange={setReason} maxLength={1000} required hint="Required; recorded in the audit log. A policy change is emailed to every admin." />
        <FormError error={action.error} labels={{ reason: 'Reason for the change' }} />
        {saved && (
          <p role="status" className="success">
            MFA settings saved.
          </p>
        )}
        <button type="submit" disabled={action.busy || !reason.trim()}>
          Save MFA settings
        </button>
      </form>
      {stepUp.dialog}
    </>
  );
}
