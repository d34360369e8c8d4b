import { useEffect, type ReactNode } from 'react';
import { useAction } from '../../shared/useAction.js';
import { FormError } from '../../shared/FormError.js';
import { useStepUp } from '../security/useStepUp.js';
import { BULK_STATUS, bulkApi, type BulkJob } from './bulk-api.js';

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${seconds % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A job's live progress: polled every second until it ends; a Cancel button while it runs. */
export function BulkJobProgress({ job, onUpdate }: { job: BulkJob; onUpdate(job: BulkJob): void }): ReactNode {
  const cancel = useAction();
  const stepUp = useStepUp();
  const active = job.status === 'queued' || job.status === 'running';
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      void bulkApi.get(job.id).then(onUpdate, () => undefined);
    }, 1000);
    return () => clearInterval(timer);
  }, [active, job.id, onUpdate]);
  const processed = job.done + job.failed;
  const percent = job.total ? Math.round((processed / job.total) * 100) : 100;
  return (
    <section className="card" aria-label={`Bulk reset ${job.id}`}>
      <h2>
        Bulk reset {BULK_STATUS[job.status] ?? job.status}
      </h2>
      <div role="progressbar" aria-label="Bulk reset progress" aria-valuemin={0} aria-valuemax={job.total} aria-valuenow={processed} className="progress">
        <div className="progress-bar" style={{ width: `${percent}%` }} />
      </div>
      <p role="status">
        {processed} of {job.total} contacts processed ({percent} %) — {job.done} reset, {job.failed} failed
        {job.ratePerSecond ? ` — ${job.ratePerSecond} per second` : ''}
        {active && job.secondsLeft !== null ? ` — about ${duration(job.secondsLeft)} left` : ''}
      </p>
      {job.unknownEmails.length > 0 && <p className="hint">Unknown emails skipped: {job.unknownEmails.join(', ')}</p>}
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
