import type { ReactNode } from 'react';
import { ConfirmButton } from '../ConfirmButton.js';
import { FormError } from '../FormError.js';
import { formatDateTime } from '../format.js';
import { useAction } from '../useAction.js';
import { useSession } from '../session.js';
import { mfaApi, type RememberedDevice } from './mfa-api.js';

/**
 * Which browser this is, in words that tell it from the others: two of the same kind ("Chrome on
 * Linux") differ by when they were remembered, and, remembered in the same minute, by when they
 * were last used.
 */
function deviceLabel(d: RememberedDevice, all: RememberedDevice[]): string {
  const name = (x: RememberedDevice) => `${x.browser ?? 'Unknown browser'}, remembered ${formatDateTime(x.createdAt)}`;
  const label = name(d);
  const twin = all.some((x) => x.id !== d.id && name(x) === label);
  return twin ? `${label}, last used ${d.lastUsedAt ? formatDateTime(d.lastUsedAt) : 'never'}` : label;
}

interface RememberedDevicesCardProps {
  devices: RememberedDevice[];
  /**
   * The help center remembers browsers (a remember period above 0 days and two-step
   * verification not off): only then does the sign-in page offer "Remember this browser".
   */
  remembersBrowsers: boolean;
  onChanged(message: string): void;
}

/** Browsers that skip the second step, each revocable. */
export function RememberedDevicesCard({ devices, remembersBrowsers, onChanged }: RememberedDevicesCardProps): ReactNode {
  const { audience } = useSession();
  const action = useAction();
  async function forget(d: RememberedDevice, label: string) {
    if (await action.run(() => mfaApi(audience).forgetDevice(d.id))) onChanged(`${label} will ask for the second step again`);
  }
  return (
    <section className="card" aria-labelledby="devices-title">
      <h2 id="devices-title">Remembered browsers</h2>
      {devices.length === 0 ? (
        <p className="empty">
          {remembersBrowsers
            ? 'No remembered browsers. When you tick “Remember this browser” at sign-in, it shows here.'
            : 'No remembered browsers. This help center does not remember browsers.'}
        </p>
      ) : (
        <ul className="list" aria-label="Remembered browsers">
          {devices.map((d) => {
            const label = deviceLabel(d, devices);
            return (
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
                  label={`Forget ${label}`}
                  question={`${label}: it will ask for your second step at the next sign-in.`}
                  confirmLabel="Yes, forget it"
                  disabled={action.busy}
                  onConfirm={() => forget(d, label)}
                />
              </li>
            );
          })}
        </ul>
      )}
      <FormError error={action.error} />
    </section>
  );
}
