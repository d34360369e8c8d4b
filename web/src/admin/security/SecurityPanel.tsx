import { useState, type ReactNode } from 'react';
import { FormError } from '../../shared/FormError.js';
import { Loading } from '../../shared/Loading.js';
import { useLoad } from '../../shared/useLoad.js';
import { useSession } from '../../shared/session.js';
import { ActionDialog } from './ActionDialog.js';
import type { IdentityCheckValue } from './IdentityCheck.js';
import { ACTION_TITLES, type ActionKind } from './describe.js';
import { SecurityEvents } from './SecurityEvents.js';
import { SecurityFacts } from './SecurityFacts.js';
import { PendingActions, type PendingAction } from './PendingActions.js';
import { toolkitApi, type PanelFactor, type Target } from './toolkit-api.js';

/**
 * The Security panel (PRODUCT.md §4) of a contact or, for admins, a staff member: what they
 * have, recent events, and — for supervisors and admins, never on one's own account — the
 * toolkit actions, each through a confirmation dialog.
 */
export function SecurityPanel({
  target,
  presetCheck,
  onCheckUsed,
  onChanged,
}: {
  target: Target;
  presetCheck?: IdentityCheckValue | null;
  onCheckUsed?(): void;
  /** After an action or a cancelled scheduled change: the page reloads what it shows of the person. */
  onChanged?(): void;
}): ReactNode {
  const { session } = useSession();
  const [version, setVersion] = useState(0);
  const [open, setOpen] = useState<{ kind: ActionKind; factor?: PanelFactor } | null>(null);
  const panel = useLoad(() => toolkitApi.panel(target), [target.kind, target.id, version]);
  const me = session?.staff;
  const self = target.kind === 'staff' && me?.id === target.id;
  const mayAct = !!me && !self && (target.kind === 'contact' ? me.role === 'supervisor' || me.role === 'admin' : me.role === 'admin');
  const p = panel.data;
  // A temporary access code stands in for a second step: none without a factor, unless a setup is required.
  const codeStandsIn = !!p && (p.factors.length > 0 || !!p.setupLinkRequired);
  const changed = () => {
    setVersion((v) => v + 1);
    onChanged?.();
  };

  const button = (kind: ActionKind, factor?: PanelFactor, label?: string) => (
    <button type="button" className="secondary" onClick={() => setOpen({ kind, factor })}>
      {label ?? ACTION_TITLES[kind]}
    </button>
  );

  return (
    <section className="card security-panel" aria-label="Security" data-target-id={target.id}>
      <h2>Security</h2>
      {!p ? (
        panel.error ? <FormError error={panel.error} /> : <Loading />
      ) : (
        <>
          <PendingActions items={(p.pendingActions ?? []) as PendingAction[]} canCancel={mayAct} onChanged={changed} />
          <SecurityFacts panel={p} factorAction={mayAct ? (f) => button('removeFactor', f, `Remove ${f.name}`) : undefined} />
          {mayAct ? (
            <>
              <div className="actions" role="group" aria-label="Security actions">
                {button('reset')}
                {p.factors.length > 0 && !p.enrollmentRequired && button('requireEnrollment')}
                {p.enrollmentRequired && p.factors.length > 0 && !p.setupLinkRequired && button('cancelEnrollment')}
                {codeStandsIn && button('temporaryCode')}
                {button('revokeSessions')}
                {button('revokeDevices')}
                {p.locked && button('unlock')}
              </div>
              {!codeStandsIn && (
                <p className="hint">
                  No temporary access code: this {target.kind === 'contact' ? 'customer' : 'person'} has no sign-in method yet, so there is no second step for a code to stand in for.
                </p>
              )}
            </>
          ) : (
            <p className="notice">
              {self
                ? 'You cannot run MFA actions on your own account; another admin can.'
                : target.kind === 'contact'
                  ? 'Only a supervisor or an admin can change this customer’s MFA. Ask one if the customer needs help.'
                  : 'Only another admin can change this staff member’s MFA.'}
            </p>
          )}
          {open && (
            <ActionDialog
              target={target}
              kind={open.kind}
              factor={open.factor}
              panel={p}
              initialCheck={presetCheck}
              onCheckUsed={onCheckUsed}
              onClose={(didChange) => {
                setOpen(null);
                if (didChange) changed();
              }}
            />
          )}
          <SecurityEvents target={target} version={version} />
        </>
      )}
    </section>
  );
}
