import { useState, type ReactNode } from 'react';
import { Field } from '../../shared/Field.js';
import { FormError } from '../../shared/FormError.js';
import { useAction } from '../../shared/useAction.js';
import { OneTimeSecret } from '../security/TemporaryCodeDisplay.js';
import { useStepUp } from '../security/useStepUp.js';
import { SCOPES, tokensApi } from './tokens-api.js';

/** A new API token: name, scopes, expiry; the token is shown once, then gone. */
export function CreateTokenForm({ onCreated }: { onCreated(): void }): ReactNode {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [days, setDays] = useState('90');
  const [created, setCreated] = useState<{ token: string; expiresAt: string } | null>(null);
  const action = useAction();
  const stepUp = useStepUp();
  const daysN = Number(days);
  const daysOK = Number.isInteger(daysN) && daysN >= 1 && daysN <= 365;

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const ok = await action.run(async () => {
      const r = await stepUp.guard(() => tokensApi.create({ name: name.trim(), scopes, expiresInDays: daysN }));
      setCreated({ token: r.token, expiresAt: r.expiresAt });
    });
    if (ok) {
      setName('');
      setScopes([]);
      onCreated();
    }
  }

  return (
    <section className="card" aria-label="Create an API token">
      <h2>New API token</h2>
      {created && (
        <div role="status">
          <OneTimeSecret label="New API token" value={created.token} />
          <button type="button" onClick={() => setCreated(null)}>
            I have stored it
          </button>
        </div>
      )}
      <form onSubmit={submit}>
        <Field label="Token name" error={action.error} apiField="name" value={name} onChange={setName} required maxLength={100} />
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <div className="field checkbox" key={s}>
              <input
                type="checkbox"
                id={`scope-${s}`}
                checked={scopes.includes(s)}
                onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))}
              />
              <label htmlFor={`scope-${s}`}>{s}</label>
            </div>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor="token-days">Expires after (days)</label>
          <input id="token-days" type="number" min={1} max={365} value={days} onChange={(e) => setDays(e.target.value)} required />
        </div>
        <FormError error={action.error} labels={{ name: 'Token name' }} />
        <button type="submit" disabled={action.busy || !name.trim() || scopes.length === 0 || !daysOK}>
          Create token
        </button>
      </form>
      {stepUp.dialog}
    </section>
  );
}
