// What each Security-panel action will change, computed from the panel data before it runs,
// and what it did, from the API's answer (STYLE.md habit 10).
import { formatDateTime } from '../../shared/format.js';
import type { ActionResult, PanelFactor, SecurityPanelData } from './toolkit-api.js';

export type ActionKind = 'reset' | 'removeFactor' | 'requireEnrollment' | 'cancelEnrollment' | 'temporaryCode' | 'revokeSessions' | 'revokeDevices' | 'unlock';

export interface ActionOptions {
  requireEnrollment: boolean;
  revokeSessions: boolean;
  ttlMinutes: number;
}

export const ACTION_TITLES: Record<ActionKind, string> = {
  reset: 'Reset MFA',
  removeFactor: 'Remove authenticator',
  requireEnrollment: 'Require MFA setup at next sign-in',
  cancelEnrollment: 'Cancel required MFA setup',
  temporaryCode: 'Temporary access code',
  revokeSessions: 'Sign out everywhere',
  revokeDevices: 'Forget remembered devices',
  unlock: 'Unlock',
};

/**
 * The actions whose API takes an identity check (`verification`): every one (API.md), so that
 * with the admin setting requiring an emailed check none of them is refused 403.
 */
export const TAKES_VERIFICATION: ReadonlySet<ActionKind> = new Set(['reset', 'removeFactor', 'requireEnrollment', 'cancelEnrollment', 'temporaryCode', 'revokeSessions', 'revokeDevices', 'unlock']);

export const TTL_CHOICES = [
  { minutes: 15, label: '15 minutes' },
  { minutes: 60, label: '1 hour' },
  { minutes: 240, label: '4 hours' },
  { minutes: 1440, label: '24 hours' },
  { minutes: 4320, label: '72 hours' },
] as const;

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** How the caller's identity was checked before an action (API.md's verification methods). */
const IDENTITY_CHECKS: Record<string, string> = { email_code: 'Email code confirmed', callback: 'Called back', other: 'Other', none: 'None' };

/** "Email code confirmed" for `email_code`; an unknown method still reads as words. */
export function identityCheckLabel(method: string): string {
  return IDENTITY_CHECKS[method] ?? method.replace(/_/g, ' ');
}

export const FACTOR_TYPES: Record<string, string> = { totp: 'authenticator app', webauthn: 'passkey' };

export function factorLabel(f: PanelFactor): string {
  return `${f.name} (${FACTOR_TYPES[f.type] ?? f.type})`;
}

function factorsLine(verb: string, factors: PanelFactor[]): string {
  return factors.length ? `${verb} ${plural(factors.length, 'factor')}: ${factors.map(factorLabel).join(', ')}` : `${verb} no factor (none is registered)`;
}

/** Each line is one thing the action removes or changes, in the panel's current numbers. */
export function describeAction(kind: ActionKind, p: SecurityPanelData, o: ActionOptions, factor?: PanelFactor, person = 'the customer'): string[] {
  // Sign-ins waiting for a second step end with the sessions (the server counts them too).
  const pendingSignIns = p.pendingSignIns?.length ?? 0;
  const sessions = `signs out ${plural(p.activeSessions.length, 'session')}${pendingSignIns ? ` and ends ${plural(pendingSignIns, 'sign-in')} waiting for a second step` : ''}`;
  const devices = plural(p.rememberedDevices.length, 'remembered device');
  const codes = plural(p.recoveryCodesLeft, 'recovery code');
  const tempCode = p.temporaryCode ? [`voids the temporary access code that expires ${formatDateTime(p.temporaryCode.expiresAt)}`] : [];
  switch (kind) {
    case 'reset':
      return [
        `Removes ${p.factors.length ? `${plural(p.factors.length, 'factor')}: ${p.factors.map(factorLabel).join(', ')}` : 'no factor'}; ${codes}; ${devices}; ${sessions}`,
        ...tempCode,
        o.requireEnrollment
          ? `${cap(person)} must set up MFA at the next sign-in, through the setup link emailed to the address on file (24 hours) or a temporary access code`
          : `${cap(person)} can sign in with the password alone until they set up MFA again (where MFA is required, by the policy or a supervisor's or admin's role, they must set it up right after the password)`,
      ];
    case 'removeFactor': {
      if (!factor) return [];
      if (p.factors.length === 1) {
        return [
          `Removes the last factor: ${factorLabel(factor)}; with it ${codes} and ${devices}; ${sessions}`,
          `As with a reset, ${person} must set up MFA at the next sign-in with the emailed setup link`,
        ];
      }
      return [`Removes 1 factor: ${factorLabel(factor)}`, o.revokeSessions ? cap(sessions) : 'Keeps the current sessions signed in'];
    }
    case 'requireEnrollment':
      return [
        `${cap(sessions)}; forgets ${devices}`,
        `At the next sign-in ${person} confirms with a factor they still have (never a remembered device) or a temporary access code, then must set up a new one`,
        factorsLine('Then removes the current', p.factors),
      ];
    case 'cancelEnrollment':
      return [`Cancels the required MFA setup; the current factors stay (${p.factors.map(factorLabel).join(', ') || 'none'})`];
    case 'temporaryCode': {
      const ttl = TTL_CHOICES.find((c) => c.minutes === o.ttlMinutes)?.label ?? `${o.ttlMinutes} minutes`;
      return [
        `Issues a one-time code valid for ${ttl}, shown once`,
        ...tempCode.map(cap),
        `At sign-in it stands in for the second step once; that session can only set up a new factor`,
        factorsLine('Then removes the current', p.factors),
      ];
    }
    case 'revokeSessions':
      return [cap(sessions)];
    case 'revokeDevices':
      return [`Forgets ${devices}${p.rememberedDevices.length ? `: ${p.rememberedDevices.map((d) => d.browser ?? 'unknown browser').join(', ')}` : ''}; each will ask for the second step again`];
    case 'unlock':
      return [`Unlocks the second step (${lockDetail(p)})`];
  }
}

export function lockDetail(p: SecurityPanelData): string {
  if (!p.lock) return p.locked ? 'locked' : 'not locked';
  const failures = plural(p.lock.consecutiveFailures, 'failed code');
  if (p.lock.hard) return `locked until staff unlock it, after ${failures}`;
  return p.lock.until ? `locked until ${formatDateTime(p.lock.until)}, after ${failures}` : `not locked; ${failures} in a row`;
}

const RESULT_LABELS: Record<string, string> = {
  factorsRemoved: 'Factors removed',
  recoveryCodesRemoved: 'Recovery codes removed',
  rememberedDevicesRemoved: 'Remembered devices forgotten',
  sessionsRevoked: 'Sessions signed out',
  enrollmentRequired: 'MFA setup required at next sign-in',
  unlocked: 'Unlocked',
  cancelled: 'Cancelled',
  expiresAt: 'Expires',
  effectiveAt: 'Takes effect',
};

/**
 * The response as readable lines ("Sessions signed out: 3"); never shows a code, nor the
 * scheduled change's id (staff find it under Scheduled changes).
 */
export function summarize(r: ActionResult): Array<[string, string]> {
  const lines = Object.entries(r)
    .filter(([k]) => k !== 'code' && k !== 'pendingActionId')
    .map(([k, v]): [string, string] => [RESULT_LABELS[k] ?? k, typeof v === 'boolean' ? (v ? 'yes' : 'no') : k.endsWith('At') && typeof v === 'string' ? formatDateTime(v) : String(v)]);
  if (typeof r.pendingActionId === 'string') lines.push(['Scheduled change', 'Listed under Scheduled changes, where it can be cancelled']);
  return lines;
}

/**
 * The actions the waiting period delays on a customer who has factors, or a reset's setup still
 * to do (the server's hasMFAToProtect): a reset, a temporary code, removing the last factor.
 */
export function delayedByWaitingPeriod(kind: ActionKind, p: SecurityPanelData): boolean {
  if (!p.factors.length) return p.setupLinkRequired === true && (kind === 'reset' || kind === 'temporaryCode');
  return kind === 'reset' || kind === 'temporaryCode' || (kind === 'removeFactor' && p.factors.length === 1);
}

/** What the dialog says before confirming an action the waiting period delays. */
export function waitingPeriodNotice(kind: ActionKind, hours: number, now = Date.now()): string {
  const when = `in ${plural(hours, 'hour')} (around ${formatDateTime(new Date(now + hours * 3600_000).toISOString())})`;
  const cancel = 'The customer is emailed a link to cancel it before then.';
  return kind === 'temporaryCode'
    ? `Waiting period: this will be scheduled. The code is shown now but becomes usable only ${when}. ${cancel}`
    : `Waiting period: this will be scheduled, not applied now: it takes effect ${when}. Nothing changes until then. ${cancel}`;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
