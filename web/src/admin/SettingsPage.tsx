import { useId, useState, type ReactNode } from 'react';
import { consoleApi } from '../api.js';
import { Field } from '../shared/Field.js';
import { FormError } from '../shared/FormError.js';
import { Loading } from '../shared/Loading.js';
import { useAction } from '../shared/useAction.js';
import { useLoad } from '../shared/useLoad.js';
import { useTitle } from '../shared/useTitle.js';
import { MFASettingsForm } from './incident/MFASettingsForm.js';
import { useStepUp } from './security/useStepUp.js';

/** Admins: general help-center settings (whether customers may sign up), with a reason for the audit log. */
export function SettingsPage(): ReactNode {
  const signupID = useId();
  const settings = useLoad(() => consoleApi.generalSettings(), []);
  // null until the admin touches the box: the saved value shows until then.
  const [edited, setEdited] = useState<boolean | null>(null);
  const [reason, setReason] = useState('');
  const [saved, setSaved] = useState(false);
  const action = useAction();
  // Saving needs the admin's own second step within 5 minutes.
  const stepUp = useStepUp();
  useTitle('Settings', 'Portico console');

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setSaved(false);
    const allowSignup = edited ?? settings.data?.allowSignup ?? false;
    await action.run(async () => {
      const r = await stepUp.guard(() => consoleApi.updateGeneralSettings({ allowSignup, ...(reason.trim() ? { reason: reason.trim() } : {}) }));
      settings.setData(r);
      setEdited(null);
      setReason('');
      setSaved(true);
    });
  }

  if (settings.loading && !settings.data) return <Loading />;
  if (!settings.data) return <FormError error={settings.error} />;
  return (
    <section>
      <h1>Settings</h1>
      <form className="card narrow-left" onSubmit={submit} aria-label="Help center settings" noValidate>
        <h2>Help center</h2>
        <div className="field checkbox">
          <input id={signupID} type="checkbox" checked={edited ?? settings.data.allowSignup} onChange={(e) => setEdited(e.target.checked)} />
          <label htmlFor={signupID}>Allow customers to sign up</label>
        </div>
        <p className="hint">When this is off, customers join only by invitation from the support team.</p>
        <Field label="Reason" error={action.error} apiField="reason" value={reason} onChange={setReason} maxLength={1000} hint="Recorded in the audit log with the change." />
        <FormError error={action.error} />
        {saved && (
          <p role="status" className="success">
            Settings saved.
          </p>
        )}
        <button type="submit" disabled={action.busy}>
          Save settings
        </button>
      </form>
      {stepUp.dialog}
      <MFASettingsForm />
    </section>
  );
}
