import { useState, type ReactNode } from 'react';
import { FormError } from '../../shared/FormError.js';
import { Loading } from '../../shared/Loading.js';
import { useLoad } from '../../shared/useLoad.js';
import { useSession } from '../../shared/session.js';
import { ActionDialog } from './ActionDialog.js';
import { clockTime, useExpired } from './EmailCodeCheck.js';
import { VerifyIdentityDialog, type IdentityCheckValue } from './IdentityCheck.js';
import { ACTION_TITLES, type ActionKind } from './describe.js';
import { SecurityEvents } from './SecurityEvents.js';
import { SecurityFacts } from './SecurityFacts.js';
import { PendingActions, type PendingAction } from './PendingActions.js';
import { toolkitApi, type PanelFactor, type Target } from './toolkit-api.js';

/**
 * The panel's own identity check ("Verify identity", PRODUCT.md §4.6): confirmed and waiting for
 * the next action, recorded with one (single-use), or let go after its 30 minutes.
 */
type OwnCheck = { state: 'confirmed'; value: IdentityCheckValue } | { state: 'used'; by: string } | { state: 'expired'; at: number };

/**
 * The Security panel (PRODUCT.md §4) of a contact or, for admins, a staff member: what they
 * have, recent events, and — for supervisors and admins, never on one's own account — the
 * toolkit actions, each through a confirmation dialog, and "Verify identity", whose confirmed
 * check the next action opened here records. `presetCheck` is one confirmed elsewhere on the
 * page (a recovery ticket's checklist); the panel's own, when it has one, comes first.
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
  const [open, setOpen] = useState<{ kind: ActionKind; factor?: PanelFactor; check: IdentityCheckValue | null; own: boolean } | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [ownCheck, setOwnCheck] = useState<OwnCheck | null>(null);
  const confirmedUntil = ownCheck?.state === 'confirmed' ? ownCheck.value.validUntil : null;
  const ownExpired = useExpired(confirmedUntil);
  // What the panel says of its check: a confirmed one past its 30 minutes reads as expired at once.
  const checkState: OwnCheck | null = ownCheck?.state === 'confirmed' && ownExpired ? { state: 'expired', at: confirmedUntil! } : ownCheck;
  const usableOwn = checkState?.state === 'confirmed' ? checkState.value : null;
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

  const person = target.kind === 'contact' ? 'the customer' : 'the staff member';
  const button = (kind: ActionKind, factor?: PanelFactor, label?: string) => (
    <button type="button" className="secondary" onClick={() => setOpen({ kind, factor, check: usableOwn ?? presetCheck ?? null, own: !!usableOwn })}>
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
                <button type="button" className="secondary" onClick={() => setVerifying(true)}>
                  Verify identity
                </button>
                {button('reset')}
                {p.factors.length > 0 && !p.enrollmentRequired && button('requireEnrollment')}
                {p.enrollmentRequired && p.factors.length > 0 && !p.setupLinkRequired && button('cancelEnrollment')}
                {codeStandsIn && button('temporaryCode')}
                {button('revokeSessions')}
                {button('revokeDevices')}
                {p.locked && button('unlock')}
              </div>
              <IdentityCheckState state={checkState} />
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
              initialCheck={open.check}
              onCheckUsed={() => {
                if (open.own) setOwnCheck({ state: 'used', by: open.kind === 'removeFactor' && open.factor ? `Remove ${open.factor.name}` : ACTION_TITLES[open.kind] });
                else onCheckUsed?.();
              }}
              onClose={(didChange) => {
                setOpen(null);
                if (didChange) changed();
              }}
            />
          )}
          {verifying && (
            <VerifyIdentityDialog
              target={target}
              person={person}
              onConfirmed={(value) => {
                setOwnCheck({ state: 'confirmed', value });
                // The code's emails and confirmation are in the recent events.
                setVersion((v) => v + 1);
              }}
              onClose={() => setVerifying(false)}
            />
          )}
          <SecurityEvents target={target} version={version} />
        </>
      )}
    </section>
  );
}

/** Where the panel's own identity check stands, in a live region (empty until there is one). */
function IdentityCheckState({ state }: { state: OwnCheck | null }): ReactNode {
  return (
    <div role="status" className="identity-check-state">
      {state?.state === 'confirmed' && (
        <p className="success">
          Identity confirmed by the code emailed to the address on file. The next action you open here records it: it can be used once, until {clockTime(state.value.validUntil!)} (30
          minutes).
        </p>
      )}
      {state?.state === 'used' && (
        <p className="hint">
          Identity check recorded with “{state.by}”. A check can be used once: Verify identity again before another action that needs one.
        </p>
      )}
      {state?.state === 'expired' && (
        <p className="notice">
          Identity check expired at {clockTime(state.at)}: it was not used within 30 minutes of being confirmed. Verify identity again if the next action needs one.
        </p>
      )}
    </div>
  );
}
