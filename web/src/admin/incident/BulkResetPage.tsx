import { useCallback, useId, useState, type ReactNode } from 'react';
import { Field } from '../../shared/Field.js';
import { FormError } from '../../shared/FormError.js';
import { formatDateTime } from '../../shared/format.js';
import { useAction } from '../../shared/useAction.js';
import { Loading } from '../../shared/Loading.js';
import { useTitle } from '../../shared/useTitle.js';
import { useStepUp } from '../security/useStepUp.js';
import { usePagedList } from '../usePagedList.js';
import { BulkJobProgress } from './BulkJobProgress.js';
import { BULK_STATUS, bulkApi, parseEmails, saveFile, type BulkFilter, type BulkJob, type DryRun } from './bulk-api.js';

/**
 * Bulk MFA reset for a security incident (PRODUCT.md §4.7): choose contacts, preview how many
 * and which, confirm by typing the count, then watch the background job.
 */
export function BulkResetPage(): ReactNode {
  useTitle('Bulk MFA reset', 'Portico console');
  const ids = { all: useId(), totp: useId(), webauthn: useId(), before: useId(), file: useId(), require: useId(), confirm: useId(), download: useId() };
  const [all, setAll] = useState(false);
  const [methods, setMethods] = useState<{ totp: boolean; webauthn: boolean }>({ totp: false, webauthn: false });
  const [before, setBefore] = useState('');
  const [emailText, setEmailText] = useState('');
  const [reason, setReason] = useState('');
  const [requireEnrollment, setRequireEnrollment] = useState(true);
  const [preview, setPreview] = useState<DryRun | null>(null);
  const [confirmText, setConfirmText] = useState('');
  const [job, setJob] = useState<BulkJob | null>(null);
  const previewAction = useAction();
  const startAction = useAction();
  const stepUp = useStepUp();
  const downloadAction = useAction();
  const jobs = usePagedList((cursor) => bulkApi.list(cursor), [job?.status]);
  const onUpdate = useCallback((j: BulkJob) => setJob(j), []);

  const filter = (): BulkFilter => {
    const f: BulkFilter = {};
    if (all) f.all = true;
    const m = (['totp', 'webauthn'] as const).filter((k) => methods[k]);
    if (m.length) f.methods = m;
    if (before) f.enrolledBefore = before;
    const emails = parseEmails(emailText);
    if (emails.length) f.emails = emails;
    return f;
  };
  // The API needs at least one filter (a bulk reset of nobody in particular is refused).
  const noFilter = Object.keys(filter()).length === 0;
  const changed = () => {
    setPreview(null);
    setConfirmText('');
    downloadAction.clear();
  };

  async function loadFile(file: File | undefined) {
    if (!file) return;
    setEmailText(await file.text());
    changed();
  }

  if (job) {
    return (
      <section>
        <h1>Bulk MFA reset</h1>
        <BulkJobProgress job={job} onUpdate={onUpdate} />
        <button type="button" className="secondary" onClick={() => setJob(null)}>
          Back to the bulk reset form
        </button>
      </section>
    );
  }

  return (
    <section>
      <h1>Bulk MFA reset</h1>
      <p className="notice">
        For security incidents: resets the two-step verification of every selected customer who has it. Each is signed out and emailed, and with &ldquo;Require MFA setup&rdquo; (on
        by default) sets up again through an emailed link. Bulk resets are exempt from the waiting period.
      </p>
      <form
        className="card"
        aria-label="Choose contacts"
        onSubmit={(e) => {
          e.preventDefault();
          void previewAction.run(async () => setPreview(await bulkApi.dryRun(filter(), reason.trim() || 'preview')));
        }}
        noValidate
      >
        <h2>Which customers</h2>
        <p className="hint">Filters combine: a customer must match every one you set.</p>
        <div className="field checkbox">
          <input id={ids.all} type="checkbox" checked={all} onChange={(e) => (setAll(e.target.checked), changed())} />
          <label htmlFor={ids.all}>All customers with two-step verification</label>
        </div>
        <fieldset>
          <legend>With this method</legend>
          <div className="field checkbox">
            <input id={ids.totp} type="checkbox" checked={methods.totp} onChange={(e) => (setMethods({ ...methods, totp: e.target.checked }), changed())} />
            <label htmlFor={ids.totp}>Authenticator app</label>
          </div>
          <div className="field checkbox">
            <input id={ids.webauthn} type="checkbox" checked={methods.webauthn} onChange={(e) => (setMethods({ ...methods, webauthn: e.target.checked }), changed())} />
            <label htmlFor={ids.webauthn}>Passkey or security key</label>
          </div>
        </fieldset>
        <div className="field">
          <label htmlFor={ids.before}>Enrolled before</label>
          <input id={ids.before} type="date" value={before} onChange={(e) => (setBefore(e.target.value), changed())} />
        </div>
        <Field label="Email addresses (paste a list)" error={previewAction.error} apiField="emails" value={emailText} onChange={(v) => (setEmailText(v), changed())} multiline rows={4} hint={`${parseEmails(emailText).length} addresses found`} />
        <div className="field">
          <label htmlFor={ids.file}>Or upload a .txt or .csv file of addresses</label>
          <input id={ids.file} type="file" accept=".txt,.csv,text/plain,text/csv" onChange={(e) => void loadFile(e.target.files?.[0])} />
        </div>
        <FormError error={previewAction.error} />
        {noFilter && (
          <p className="hint" id={`${ids.all}-none`}>
            Choose at least one filter to preview.
          </p>
        )}
        <button type="submit" disabled={previewAction.busy || noFilter} aria-describedby={noFilter ? `${ids.all}-none` : undefined}>
          Preview
        </button>
      </form>

      {preview && (
        <section className="card" aria-label="Preview">
          <h2>
            {preview.matched} customer{preview.matched === 1 ? '' : 's'} will be reset
          </h2>
          {preview.unknownEmails.length > 0 && <p className="hint">Unknown emails (skipped): {preview.unknownEmails.join(', ')}</p>}
          {preview.notEnrolled > 0 && <p className="hint">{preview.notEnrolled} listed customers have no two-step verification and are skipped.</p>}
          {preview.ownAccountsLeftOut > 0 && (
            <p className="hint">
              {preview.ownAccountsLeftOut === 1 ? 'Your own customer account is' : `${preview.ownAccountsLeftOut} customer accounts at your own address are`} left out: nobody resets their own MFA. Another admin can.
            </p>
          )}
          {preview.sample.length > 0 ? (
            <>
              <p className="hint">
                {preview.sample.length < preview.matched ? `A sample: ${preview.sample.length} of the ${preview.matched} customers.` : `All ${preview.matched} customers.`}
              </p>
              <p>
                <button
                  type="button"
                  className="secondary"
                  disabled={downloadAction.busy}
                  aria-describedby={ids.download}
                  onClick={() =>
                    void downloadAction.run(async () => {
                      const csv = await bulkApi.matchesCSV(filter());
                      saveFile(csv, `bulk-reset-customers-${new Date().toISOString().slice(0, 10)}.csv`);
                    })
                  }
                >
                  {downloadAction.busy ? 'Preparing the list…' : 'Download the full list (CSV)'}
                </button>{' '}
                <span className="hint" id={ids.download}>
                  Every customer this reset would include: email and contact id, one per line.
                </span>
              </p>
              <FormError error={downloadAction.error} />
              <table className="table" aria-label="Sample of the customers">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Email</th>
                  </tr>
                </thead>
                <tbody>
                  {preview.sample.map((c) => (
                    <tr key={c.id}>
                      <td>{c.name}</td>
                      <td>{c.email}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : (
            <p>No customer matches these filters.</p>
          )}
          {preview.matched > 0 && (
            <form
              aria-label="Start the bulk reset"
              onSubmit={(e) => {
                e.preventDefault();
                void startAction.run(async () => {
                  const started = await stepUp.guard(() => bulkApi.start(filter(), reason.trim(), requireEnrollment));
                  // Back on the form, nothing of this run is left to start again with one click.
                  changed();
                  setReason('');
                  setJob(started);
                });
              }}
              noValidate
            >
              <Field label="Reason" error={startAction.error} apiField="reason" value={reason} onChange={setReason} multiline rows={2} maxLength={1000} required hint="Required; recorded with every reset and emailed to every admin." />
              <div className="field checkbox">
                <input id={ids.require} type="checkbox" checked={requireEnrollment} onChange={(e) => setRequireEnrollment(e.target.checked)} />
                <label htmlFor={ids.require}>Require MFA setup at next sign-in (through an emailed link)</label>
              </div>
              <div className="field">
                <label htmlFor={ids.confirm}>Type {preview.matched} to confirm</label>
                <input id={ids.confirm} inputMode="numeric" value={confirmText} onChange={(e) => setConfirmText(e.target.value)} />
              </div>
              <FormError error={startAction.error} />
              <button type="submit" className="danger" disabled={startAction.busy || !reason.trim() || confirmText.trim() !== String(preview.matched)}>
                Reset {preview.matched} customer{preview.matched === 1 ? '' : 's'}
              </button>
            </form>
          )}
        </section>
      )}

      <section className="card" aria-label="Recent bulk resets">
        <h2>Recent bulk resets</h2>
        <FormError error={jobs.error} />
        {!jobs.items ? (
          jobs.error ? null : <Loading />
        ) : jobs.items.length ? (
          <ul className="plain">
            {jobs.items.map((j) => (
              <li key={j.id}>
                <button type="button" className="link" onClick={() => setJob(j)}>
                  {formatDateTime(j.createdAt)}: {BULK_STATUS[j.status] ?? j.status}, {j.done} of {j.total} reset, {j.failed} failed
                </button>{' '}
                — {j.reason}
              </li>
            ))}
          </ul>
        ) : (
          <p className="empty">No bulk reset has been run.</p>
        )}
        <FormError error={jobs.moreError} />
        {jobs.items && jobs.hasMore && (
          <button type="button" className="secondary" aria-label="Show more bulk resets" disabled={jobs.loadingMore || jobs.loading} onClick={() => void jobs.showMore()}>
            {jobs.loadingMore ? 'Loading…' : 'Show more'}
          </button>
        )}
      </section>
      {stepUp.dialog}
    </section>
  );
}
