import { useEffect, useId, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { useAction } from '../../shared/useAction.js';
import { FormError } from '../../shared/FormError.js';
import { Loading } from '../../shared/Loading.js';
import { formatDateTime } from '../../shared/format.js';
import { useStepUp } from '../security/useStepUp.js';
import { usePagedList } from '../usePagedList.js';
import { BULK_STATUS, bulkApi, type BulkJob } from './bulk-api.js';

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${seconds % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * What a screen reader hears: the status, and while the job runs each quarter reached. The
 * figures beside it change every second and would be read out every second in a live region.
 */
function announcement(job: BulkJob, percent: number): string {
  if (job.status === 'queued') return 'Bulk reset queued';
  if (job.status === 'running') {
    const quarter = Math.floor(percent / 25) * 25;
    return quarter > 0 ? `Bulk reset running: ${quarter} % done` : 'Bulk reset running';
  }
  return `Bulk reset ${BULK_STATUS[job.status] ?? job.status}: ${job.done} reset, ${job.failed} failed`;
}

/** What the job's end is called, by how it ended. */
const ENDED: Partial<Record<BulkJob['status'], string>> = { completed: 'Finished', cancelled: 'Cancelled', failed: 'Stopped' };

/**
 * The contacts a job could not reset, with why, a page at a time, in the job's order; each email
 * links to the contact's page (a deleted contact has none). Reloaded as the failed count grows
 * while the job runs.
 */
function BulkJobFailures({ job }: { job: BulkJob }): ReactNode {
  const headingID = useId();
  const failed = job.failed;
  const list = usePagedList(
    async (cursor) => {
      // Nothing failed: nothing to ask the server.
      if (failed === 0) return { items: [], nextCursor: null };
      const page = await bulkApi.failures(job.id, cursor);
      return { ...page, items: page.items.map((f) => ({ ...f, id: f.contactId })) };
    },
    [job.id, failed],
  );
  const active = job.status === 'queued' || job.status === 'running';
  return (
    <section aria-labelledby={headingID}>
      <h3 id={headingID}>Contacts that could not be reset</h3>
      <FormError error={list.error} />
      {!list.items ? (
        list.error ? null : <Loading label="Loading the contacts that could not be reset…" />
      ) : list.items.length === 0 ? (
        <p className="empty">{failed > 0 ? 'None listed: this job kept no record of which contacts failed.' : active ? 'None so far.' : 'None: no contact failed.'}</p>
      ) : (
        <table className="table" aria-label="Contacts that could not be reset">
          <thead>
            <tr>
              <th scope="col">Contact</th>
              <th scope="col">Why</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((f) => (
              <tr key={f.contactId}>
                <td>{f.email ? <Link to={`/admin/contacts/${encodeURIComponent(f.contactId)}`}>{f.email}</Link> : <>A deleted contact ({f.contactId})</>}</td>
                <td>{f.error}</td>
                <td>{f.at ? formatDateTime(f.at) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <FormError error={list.moreError} />
      {list.items && list.hasMore && (
        <button type="button" className="secondary" aria-label="Show more contacts that could not be reset" disabled={list.loadingMore || list.loading} onClick={() => void list.showMore()}>
          {list.loadingMore ? 'Loading…' : 'Show more'}
        </button>
      )}
    </section>
  );
}

/**
 * A job's live progress: polled every second until it ends; a Cancel button while it runs. A poll
 * that fails says so (the figures shown are then as of the last answer) and polling goes on; the
 * job itself runs on the server whatever happens to this page.
 */
export function BulkJobProgress({ job, onUpdate }: { job: BulkJob; onUpdate(job: BulkJob): void }): ReactNode {
  const cancel = useAction();
  const stepUp = useStepUp();
  const [pollError, setPollError] = useState<string | null>(null);
  const active = job.status === 'queued' || job.status === 'running';
  useEffect(() => {
    if (!active) return;
    let live = true;
    const timer = setInterval(() => {
      bulkApi.get(job.id).then(
        (j) => {
          if (!live) return;
          setPollError(null);
          onUpdate(j);
        },
        (err: unknown) => live && setPollError(err instanceof Error ? err.message : String(err)),
      );
    }, 1000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [active, job.id, onUpdate]);
  const processed = job.done + job.failed;
  const percent = job.total ? Math.round((processed / job.total) * 100) : 100;
  return (
    <section className="card" aria-label={`Bulk reset ${job.id}`}>
      <h2>
        Bulk reset {BULK_STATUS[job.status] ?? job.status}
      </h2>
      <div role="progressbar" aria-label="Bulk reset progress" aria-valuemin={0} aria-valuemax={job.total} aria-valuenow={processed} aria-valuetext={`${processed} of ${job.total} contacts (${percent} %)`} className="progress">
        <div className="progress-bar" style={{ width: `${percent}%` }} />
      </div>
      <p role="status" className="visually-hidden">
        {announcement(job, percent)}
      </p>
      <p>
        {processed} of {job.total} contacts processed ({percent} %) — {job.done} reset, {job.failed} failed
        {job.ratePerSecond ? ` — ${job.ratePerSecond} per second` : ''}
        {active && job.secondsLeft !== null ? ` — about ${duration(job.secondsLeft)} left` : ''}
      </p>
      {(job.startedAt || job.finishedAt) && (
        <p>
          {job.startedAt ? `Started ${formatDateTime(job.startedAt)}.` : ''}
          {job.startedAt && job.finishedAt ? ' ' : ''}
          {job.finishedAt ? `${ENDED[job.status] ?? 'Ended'} ${formatDateTime(job.finishedAt)}.` : ''}
        </p>
      )}
      {job.status === 'failed' && (
        <p className="error">
          This job failed and stopped. No reason was stored with the job; the server log has the details. Contacts it never reached were not reset: preview the same filter again to
          start a new bulk reset for them.
        </p>
      )}
      {active && pollError && (
        <p role="alert" className="error">
          Progress could not be updated ({pollError}). The job goes on on the server; trying again every second.
        </p>
      )}
      {job.unknownEmails.length > 0 && <p className="hint">Unknown emails skipped: {job.unknownEmails.join(', ')}</p>}
      {(job.failed > 0 || !active) && <BulkJobFailures job={job} />}
      <FormError error={cancel.error} />
      {active && (
        <button type="button" className="danger secondary" disabled={cancel.busy} onClick={() => void cancel.run(async () => onUpdate(await stepUp.guard(() => bulkApi.cancel(job.id))))}>
          Cancel the job
        </button>
      )}
      {stepUp.dialog}
    </section>
  );
}
