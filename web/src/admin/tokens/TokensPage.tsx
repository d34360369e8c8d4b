import type { ReactNode } from 'react';
import { ConfirmButton } from '../../shared/ConfirmButton.js';
import { FormError } from '../../shared/FormError.js';
import { Loading } from '../../shared/Loading.js';
import { formatDateTime } from '../../shared/format.js';
import { useAction } from '../../shared/useAction.js';
import { useLoad } from '../../shared/useLoad.js';
import { useTitle } from '../../shared/useTitle.js';
import { useStepUp } from '../security/useStepUp.js';
import { CreateTokenForm } from './CreateTokenForm.js';
import { tokensApi, type APIToken } from './tokens-api.js';

function status(t: APIToken): string {
  if (t.revokedAt) return `Revoked ${formatDateTime(t.revokedAt)}`;
  if (new Date(t.expiresAt).getTime() <= Date.now()) return 'Expired';
  return 'Active';
}

/** Admins: API tokens (API.md), created and revoked with a fresh step-up. */
export function TokensPage(): ReactNode {
  useTitle('API tokens', 'Portico console');
  const tokens = useLoad(() => tokensApi.list(), []);
  const revoke = useAction();
  const stepUp = useStepUp();
  return (
    <section>
      <h1>API tokens</h1>
      <CreateTokenForm onCreated={() => void tokens.reload()} />
      <FormError error={revoke.error} />
      {tokens.error ? (
        <FormError error={tokens.error} />
      ) : !tokens.data ? (
        <Loading />
      ) : tokens.data.items.length === 0 ? (
        <p className="empty">No API tokens yet.</p>
      ) : (
        <table className="table" aria-label="API tokens">
          <thead>
            <tr>
              {['Name', 'Scopes', 'Created', 'Expires', 'Last used', 'Status', 'Actions'].map((h) => (
                <th scope="col" key={h}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {tokens.data.items.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>{t.scopes.join(', ')}</td>
                <td>{formatDateTime(t.createdAt)}</td>
                <td>{formatDateTime(t.expiresAt)}</td>
                <td>{t.lastUsedAt ? formatDateTime(t.lastUsedAt) : 'never'}</td>
                <td>{status(t)}</td>
                <td>
                  {!t.revokedAt && (
                    <ConfirmButton
                      label={`Revoke ${t.name}`}
                      question={`Anything using "${t.name}" stops working at once.`}
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
      {stepUp.dialog}
    </section>
  );
}
