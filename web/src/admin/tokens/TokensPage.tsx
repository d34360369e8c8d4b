import type { ReactNode } from 'react';
import { ApiError } from '../../api.js';
import { FormError } from '../../shared/FormError.js';
import { Loading } from '../../shared/Loading.js';
import { formatDateTime } from '../../shared/format.js';
import { useAction } from '../../shared/useAction.js';
import { useTitle } from '../../shared/useTitle.js';
import { useStepUp } from '../security/useStepUp.js';
import { usePagedList } from '../usePagedList.js';
import { alsoTakesBack, authorityApi, ConfirmAfterCounting, MAY_ALSO_TAKE_BACK, withAlso, type TakenBack } from '../authority.js';
import { CreateTokenForm } from './CreateTokenForm.js';
import { tokensApi, type APIToken } from './tokens-api.js';

function status(t: APIToken): string {
  if (t.revokedAt) return `Revoked ${formatDateTime(t.revokedAt)}`;
  if (new Date(t.expiresAt).getTime() <= Date.now()) return 'Expired';
  return 'Active';
}

const needsStepUp = (err: unknown) => err instanceof ApiError && err.code === 'step_up_required';

/** Whose a token is, by name ("Sam Lee"); its staff id if they cannot be found. */
const ownerName = (t: APIToken) => t.owner?.name ?? t.staffId;

/** "Anything using Sam Lee's token "CI" stops working at once. This also cancels …" (counts null: not counted). */
function revokeQuestion(t: APIToken, c: TakenBack | null): string {
  return withAlso(`Anything using ${ownerName(t)}'s token "${t.name}" stops working at once.`, c ? alsoTakesBack(c) : MAY_ALSO_TAKE_BACK);
}

/**
 * Admins: API tokens (API.md), newest first with "Show more". Listing, creating and revoking
 * all need a fresh step-up: the page asks for it inline, then loads.
 */
export function TokensPage(): ReactNode {
  useTitle('API tokens', 'Portico console');
  const revoke = useAction();
  const stepUp = useStepUp();
  const { guard } = stepUp;
  const tokens = usePagedList((cursor) => guard(() => tokensApi.list(cursor)), [guard]);
  return (
    <section>
      <h1>API tokens</h1>
      <CreateTokenForm onCreated={() => void tokens.reload()} />
      <FormError error={revoke.error} />
      {needsStepUp(tokens.error) ? (
        <div className="card">
          <p>Seeing the API tokens needs your own second step from the last 5 minutes.</p>
          <button type="button" disabled={tokens.loading} onClick={() => void tokens.reload()}>
            Show API tokens
          </button>
        </div>
      ) : (
        <FormError error={tokens.error} />
      )}
      {!tokens.items ? (
        tokens.error ? null : <Loading />
      ) : tokens.items.length === 0 ? (
        <p className="empty">No API tokens yet.</p>
      ) : (
        <table className="table" aria-label="API tokens">
          <thead>
            <tr>
              {['Name', 'Owner', 'Created by', 'Scopes', 'Created', 'Expires', 'Last used', 'Status', 'Actions'].map((h) => (
                <th scope="col" key={h}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {tokens.items.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td title={t.owner?.email}>{ownerName(t)}</td>
                <td title={t.creator?.email}>{t.creator?.name ?? t.createdBy ?? '—'}</td>
                <td>{t.scopes.join(', ')}</td>
                <td>{formatDateTime(t.createdAt)}</td>
                <td>{formatDateTime(t.expiresAt)}</td>
                <td>{t.lastUsedAt ? formatDateTime(t.lastUsedAt) : 'never'}</td>
                <td>{status(t)}</td>
                <td>
                  {!t.revokedAt && (
                    <ConfirmAfterCounting
                      label={`Revoke ${t.name}`}
                      // Counting needs the step-up the list needs (asked for inline when stale).
                      count={() => stepUp.guard(() => authorityApi.ofToken(t.id))}
                      question={(c) => revokeQuestion(t, c)}
                      confirmLabel="Yes, revoke"
                      disabled={revoke.busy}
                      onConfirm={async () => {
                        if (await revoke.run(() => stepUp.guard(() => tokensApi.revoke(t.id)))) await tokens.reload();
                      }}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <FormError error={tokens.moreError} />
      {tokens.items && tokens.hasMore && (
        <button type="button" className="secondary" disabled={tokens.loadingMore || tokens.loading} onClick={() => void tokens.showMore()}>
          {tokens.loadingMore ? 'Loading…' : 'Show more'}
        </button>
      )}
      {stepUp.dialog}
    </section>
  );
}
