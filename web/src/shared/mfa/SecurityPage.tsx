import { useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { LoadFailed } from '../LoadFailed.js';
import { Loading } from '../Loading.js';
import { useLoad } from '../useLoad.js';
import { useSession } from '../session.js';
import { useTitle } from '../useTitle.js';
import { basePath } from '../paths.js';
import { useHelpCenterSettings } from '../../help-center/useHelpCenterSettings.js';
import { mfaApi, type EnrollmentAnswer } from './mfa-api.js';
import { useStepUp } from './useStepUp.js';
import { FactorsCard } from './FactorsCard.js';
import { RecoveryCodes } from './RecoveryCodes.js';
import { RecoveryCodesCard } from './RecoveryCodesCard.js';
import { RememberedDevicesCard } from './RememberedDevicesCard.js';
import { SecurityEventsCard } from './SecurityEventsCard.js';

/**
 * The signed-in person's own security: sign-in methods, recovery codes, remembered browsers and
 * recent activity (/account/security, /admin/account/security). Changes that need a step-up ask
 * for it inline and then go ahead.
 */
export function SecurityPage(): ReactNode {
  const { audience, session } = useSession();
  const { settings, error: settingsError, retry: retrySettings } = useHelpCenterSettings();
  const overview = useLoad(() => mfaApi(audience).overview(), [audience]);
  const [codes, setCodes] = useState<string[] | null>(null);
  // Once the person is done with new codes, the Recovery codes card that comes back in their
  // place takes the focus they had (else it falls to the page's body).
  const [codesDone, setCodesDone] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const factors = overview.data?.factors ?? [];
  const stepUp = useStepUp({ totp: factors.some((f) => f.type === 'totp'), webauthn: factors.some((f) => f.type === 'webauthn') });
  useTitle('Security', audience === 'staff' ? 'Portico console' : 'Help Center');

  // The message is shown once the list has been reloaded, so what it says and what the page shows agree.
  async function changed(msg: string) {
    setVersion((v) => v + 1);
    await overview.reload();
    setMessage(msg);
  }
  function added(a: EnrollmentAnswer) {
    if (a.recoveryCodes?.length) setCodes(a.recoveryCodes);
    void changed(`Added “${a.name}”`);
  }

  // As the API decides (mustHaveMFA): supervisors and admins always, customers under the required policy.
  const required = audience === 'staff' ? session?.staff?.role === 'supervisor' || session?.staff?.role === 'admin' : settings?.mfaPolicy === 'required';
  // Customers' enrollment is hidden when the help center turned two-step verification off.
  const off = audience === 'contact' && settings?.mfaPolicy === 'off';
  // As the sign-in page decides whether to offer "Remember this browser" (SecondStepPage).
  const remembersBrowsers = audience === 'contact' && !off && (settings?.rememberDeviceDays ?? 0) > 0;
  return (
    <section>
      <p className="breadcrumb">
        <Link to={`${basePath(audience)}/account`}>Account</Link> › Security
      </p>
      <h1>Security</h1>
      {message && (
        <p role="status" className="success">
          {message}
        </p>
      )}
      {codes && (
        <RecoveryCodes
          codes={codes}
          onDone={() => {
            setCodes(null);
            setCodesDone(true);
          }}
          doneLabel="Done"
        />
      )}
      {overview.error ? (
        <LoadFailed error={overview.error} what="your security settings" onRetry={() => void overview.reload()} />
      ) : audience === 'contact' && !settings && settingsError ? (
        <LoadFailed error={settingsError} what="this help center's settings" onRetry={retrySettings} />
      ) : !overview.data || (audience === 'contact' && !settings) ? (
        <Loading />
      ) : (
        <>
          {off ? (
            <section className="card" aria-labelledby="factors-title">
              <h2 id="factors-title">Two-step verification</h2>
              <p className="empty">This help center does not use two-step verification: you sign in with your password.</p>
            </section>
          ) : (
            <FactorsCard overview={overview.data} guard={stepUp.guard} required={required} onAdded={added} onChanged={changed} />
          )}
          <div className="grid">
          {!off && factors.length > 0 && !codes && (
            <RecoveryCodesCard
              left={overview.data.recoveryCodesLeft}
              guard={stepUp.guard}
              takeFocus={codesDone}
              onCodes={(c) => {
                setCodes(c);
                void changed('New recovery codes generated; the old ones no longer work');
              }}
            />
          )}
          {audience === 'contact' && <RememberedDevicesCard devices={overview.data.rememberedDevices} remembersBrowsers={remembersBrowsers} onChanged={changed} />}
          <SecurityEventsCard version={version} />
          </div>
        </>
      )}
      {stepUp.dialog}
    </section>
  );
}
