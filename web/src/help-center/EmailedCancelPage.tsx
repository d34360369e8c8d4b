import { useEffect, useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ApiError, request } from '../api.js';
import { formatDateTime, timeLeft } from '../shared/format.js';
import { FormError } from '../shared/FormError.js';
import { useAction } from '../shared/useAction.js';
import { useTitle } from '../shared/useTitle.js';

/** What a scheduled change's link would cancel (POST …/pending-actions/lookup). */
interface ScheduledChange {
  kind: 'reset' | 'temporary_code' | 'remove_factor';
  status: 'pending' | 'done' | 'cancelled' | 'failed';
  scheduledAt: string;
  effectiveAt: string;
  change: string;
}

interface Props {
  title: string;
  explanation: string;
  button: string;
  done: string;
  endpoint: string;
  /** Where to ask, without changing anything, what the link would cancel (shown above the button). */
  lookup?: string;
}

const ALREADY: Record<Exclude<ScheduledChange['status'], 'pending'>, string> = {
  cancelled: 'This change was already cancelled: nothing will change on your account.',
  done: 'The waiting period is over and this change was made. If you did not ask for it, contact support now and change your password.',
  failed: 'This change could not be made: nothing changed on your account.',
};

/** The change the link names, what it will do and when; or that it is no longer pending. */
function ScheduledChangeFacts({ change }: { change: ScheduledChange }): ReactNode {
  if (change.status !== 'pending') {
    return (
      <p role="status" className={change.status === 'done' ? 'error' : 'success'}>
        {ALREADY[change.status]}
      </p>
    );
  }
  return (
    <dl className="details" aria-label="The scheduled change">
      <dt>What</dt>
      <dd>{change.change}</dd>
      <dt>Scheduled</dt>
      <dd>{formatDateTime(change.scheduledAt)}</dd>
      <dt>Takes effect</dt>
      <dd>
        {formatDateTime(change.effectiveAt)} ({timeLeft(change.effectiveAt, Date.now())})
      </dd>
    </dl>
  );
}

/** What a failed request said, in words ("Could not reach the server…", the API's detail). */
function errorDetail(error: unknown): string {
  return error instanceof ApiError ? error.detail : error instanceof Error ? error.message : String(error);
}

/**
 * A page opened from an emailed "it was not me" link. Opening it changes nothing: only the
 * button POSTs the token, so a mail scanner that follows links cancels nothing.
 */
function EmailedCancelPage({ title, explanation, button, done, endpoint, lookup }: Props): ReactNode {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [cancelled, setCancelled] = useState(false);
  const action = useAction();
  const looking = useAction();
  const [change, setChange] = useState<ScheduledChange | null>(null);
  useTitle(title);
  // The links carry 32 random bytes in base64url: anything else was cut or mangled on the way.
  const wellFormed = /^[A-Za-z0-9_-]{43}$/.test(token);
  // Whether the last lookup failed; cleared when one answers. Unless it said the link is not valid,
  // the failure (a network blip, a 503 while the server restarts, a proxy's error page) keeps the
  // button, with a way to ask for the details again.
  const [lookupFailed, setLookupFailed] = useState(false);
  function lookUp() {
    if (!lookup || !wellFormed || looking.busy) return;
    void looking.run(async () => setChange(await request<ScheduledChange>('POST', lookup, { token }))).then((ok) => setLookupFailed(!ok));
  }
  useEffect(() => {
    lookUp();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lookup, token]);
  // The lookup's own answer that the link is not valid (unknown, or mangled on the way).
  const invalidLink = looking.error instanceof ApiError && looking.error.code === 'invalid_token';
  // Only then is there nothing left to cancel, or when the change is no longer pending. Any other
  // failure of the lookup says nothing about the change: the customer must still be able to stop it.
  const nothingToCancel = invalidLink || (lookup !== undefined && token !== '' && !wellFormed) || (change !== null && change.status !== 'pending');
  const detailsUnavailable = lookupFailed && !invalidLink && change === null;

  async function cancel() {
    if (await action.run(() => request('POST', endpoint, { token }))) setCancelled(true);
  }

  return (
    <section className="card narrow">
      <h1>{title}</h1>
      {cancelled ? (
        <>
          <p role="status" className="success">
            {done}
          </p>
          <p>
            To be safe, <Link to="/forgot-password">change your password</Link>: whoever asked knew it or is trying to guess it.
          </p>
        </>
      ) : (
        <>
          <p>{explanation}</p>
          {!token && (
            <p role="alert" className="error">
              This link is incomplete. Open the link from the email again.
            </p>
          )}
          {lookup && token && !wellFormed && (
            <p role="alert" className="error">
              This link is not valid: open the link from the email again, all of it.
            </p>
          )}
          {change && <ScheduledChangeFacts change={change} />}
          {invalidLink && <FormError error={looking.error} />}
          {detailsUnavailable && (
            <div className="load-failed">
              {looking.error !== null && (
                <div role="alert" className="error">
                  <p>Could not load the details of this change: {errorDetail(looking.error)}</p>
                  <p>You can still cancel it: the “{button}” button below works without them.</p>
                </div>
              )}
              {looking.busy && <p role="status">Loading the details…</p>}
              {/* aria-disabled, not disabled, while it runs: the button keeps the focus. */}
              <button type="button" className="secondary" onClick={lookUp} aria-disabled={looking.busy}>
                Load the details again
              </button>
            </div>
          )}
          <FormError error={action.error} />
          {!nothingToCancel && (
            <button type="button" className="danger" onClick={cancel} disabled={action.busy || (looking.busy && !lookupFailed) || !token}>
              {action.busy ? 'Cancelling…' : button}
            </button>
          )}
        </>
      )}
    </section>
  );
}

/** /pending-actions/cancel?token=…: stops a change support scheduled during the waiting period. */
export function CancelPendingActionPage(): ReactNode {
  return (
    <EmailedCancelPage
      title="Cancel a scheduled change"
      explanation="Our support team scheduled a change to your two-step verification at someone's request. If you did not ask for it, cancel it now: nothing will change on your account."
      button="Cancel the change"
      done="Cancelled. Nothing will change on your account, and our support team has been told."
      endpoint="/api/v1/auth/pending-actions/cancel"
      lookup="/api/v1/auth/pending-actions/lookup"
    />
  );
}

/** /recovery-requests/cancel?token=…: closes an account-recovery request opened in the customer's name. */
export function CancelRecoveryRequestPage(): ReactNode {
  return (
    <EmailedCancelPage
      title="Cancel a recovery request"
      explanation="Someone who signed in with your password asked our support team to help them past your two-step verification. If it was not you, cancel the request: support will not act on it."
      button="It was not me: cancel the request"
      done="The request is cancelled and marked as suspicious for our support team."
      endpoint="/api/v1/auth/recovery-requests/cancel"
    />
  );
}
