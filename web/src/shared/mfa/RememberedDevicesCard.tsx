import type { ReactNode } from 'react';
import { ConfirmButton } from '../ConfirmButton.js';
import { FormError } from '../FormError.js';
import { formatDateTime } from '../format.js';
import { useAction } from '../useAction.js';
import { useSession } from '../session.js';
import { mfaApi, type RememberedDevice } from './mfa-api.js';

/** Browsers that skip the second step, each revocable. */
export function RememberedDevicesCard({ devices, onChanged }: { devices: RememberedDevice[]; onChanged(message: string): void }): ReactNode {
  const { audience } = useSession();
  const action = useAction();
  async function forget(d: RememberedDevice) {
    if (await action.run(() => mfaApi(audience).forgetDevice(d.id))) onChanged(`${d.browser ?? 'The browser'} will ask for the second step again`);
  }
  return (
    <section className="card" aria-labelledby="devices-title">
      <h2 id="devices-title">Remembered browsers</h2>
      {devices.length === 0 ? (
        <p className="empty">No remembered browsers. When you tick “Remember this browser” at sign-in, it shows here.</p>
      ) : (
        <ul className="list" aria-label="Remembered browsers">
          {devices.map((d) => (
            <li key={d.id} className="list-item">
              <div>
                <strong>{d.browser ?? 'Unknown browser'}</strong>
                <div className="muted">
                  Remembered {formatDateTime(d.createdAt)}
                  {d.lastUsedAt && ` · last used ${formatDateTime(d.lastUsedAt)}`}
                  {d.expiresAt && ` · until ${formatDateTime(d.expiresAt)}`}
                </div>
              </div>
              <ConfirmButton
                label={`Forget ${d.browser ?? 'this browser'}`}
                question="It will ask for your second step at the next sign-in."
                confirmLabel="Yes, forget it"
                disabled={action.busy}
                onConfirm={() => forget(d)}
              />
            </li>
          ))}
        </ul>
      )}
      <FormError error={action.error} />
    </section>
  );
}
