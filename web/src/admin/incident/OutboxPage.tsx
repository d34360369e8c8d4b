import type { ReactNode } from 'react';
import { request } from '../../api.js';
import { FormError } from '../../shared/FormError.js';
import { formatDateTime } from '../../shared/format.js';
import { Loading } from '../../shared/Loading.js';
import { useAction } from '../../shared/useAction.js';
import { useLoad } from '../../shared/useLoad.js';
import { useTitle } from '../../shared/useTitle.js';

interface OutboxItem {
  id: string;
  to: string;
  subject: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string;
}

/** Admins: emails that failed to deliver (they are retried with backoff, never lost). */
export function OutboxPage(): ReactNode {
  useTitle('Email delivery', 'Portico console');
  const box = useLoad(() => request<{ queued: number; failing: number; items: OutboxItem[] }>('GET', '/api/v1/outbox?status=failing'), []);
  const retry = useAction();
  return (
    <section>
      <h1>Email delivery</h1>
      {box.loading && !box.data ? (
        <Loading />
      ) : !box.data ? (
        <FormError error={box.error} />
      ) : (
        <>
          <p role="status">
            {box.data.queued} email{box.data.queued === 1 ? '' : 's'} waiting to be sent; {box.data.failing} failing and being retried.
          </p>
          <FormError error={retry.error} />
          {box.data.items.length ? (
            <table className="table card" aria-label="Failing deliveries">
              <thead>
                <tr>
                  <th>To</th>
                  <th>Subject</th>
                  <th>Attempts</th>
                  <th>Last error</th>
                  <th>Next try</th>
                  <th>
                    <span className="visually-hidden">Retry</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {box.data.items.map((m) => (
                  <tr key={m.id}>
                    <td>{m.to}</td>
                    <td>{m.subject}</td>
                    <td>{m.attempts}</td>
                    <td>{m.lastError}</td>
                    <td>{formatDateTime(m.nextAttemptAt)}</td>
                    <td>
                      <button type="button" className="secondary" aria-label={`Retry the email to ${m.to}`} disabled={retry.busy} onClick={() => void retry.run(async () => (await request('POST', `/api/v1/outbox/${m.id}/retry`), await box.reload()))}>
                        Retry now
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            // Nothing failing is not everything delivered: emails may still wait their turn.
            <p className="card">
              {box.data.queued === 0
                ? 'No failing deliveries: every email was delivered.'
                : `No failing deliveries. ${box.data.queued} email${box.data.queued === 1 ? ' is' : 's are'} still waiting to be sent.`}
            </p>
          )}
        </>
      )}
    </section>
  );
}
