import { DAY } from '../clock.js';
import type { Context } from '../context.js';
import type { Account } from '../accounts/store.js';
import { getSettings } from '../settings/service.js';
import * as store from './store.js';
import * as stateStore from './state-store.js';
import type { Factor } from './store.js';
import { lockState, ownerOf } from './lockout.js';
import { mustHaveMFA } from './sign-in.js';
import { authenticatorName } from './webauthn.js';

/**
 * A person's own security page (GET /me/mfa, /staff-me/mfa): their factors as shown, and what
 * their next sign-in will do. The changes they make there are in ./service.ts.
 */

export interface FactorView {
  id: string;
  type: 'totp' | 'webauthn';
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  authenticator?: string | null;
}

export function presentFactor(f: Factor): FactorView {
  return {
    id: f.id,
    type: f.type,
    name: f.name,
    createdAt: f.createdAt,
    lastUsedAt: f.lastUsedAt,
    ...(f.type === 'webauthn' ? { authenticator: authenticatorName(f.aaguid) } : {}),
  };
}

export interface MFAOverview {
  enrolled: boolean;
  enrollmentRequired: boolean;
  locked: boolean;
  factors: FactorView[];
  recoveryCodesLeft: number;
  rememberedDevices: Array<{ id: string; browser: string; createdAt: string; lastUsedAt: string | null; expiresAt: string }>;
}

/**
 * A person's MFA as they see it (GET /me/mfa), saying what their next sign-in will do
 * (levelAfterPassword in sign-in.ts): `enrollmentRequired` when it will ask for a setup, and
 * the remembered devices that will skip its second step, each with the expiry sign-in applies.
 */
export async function getMFAOverview(ctx: Context, account: Account): Promise<MFAOverview> {
  const owner = ownerOf(account);
  const now = ctx.clock.now();
  const [factors, left, devices, state, lock, settings] = await Promise.all([
    store.listFactors(ctx.db, owner),
    store.countUnusedRecoveryCodes(ctx.db, owner),
    store.listRememberedDevices(ctx.db, owner, now.toISOString()),
    stateStore.findMFAAccount(ctx.db, owner),
    lockState(ctx, owner),
    getSettings(ctx),
  ]);
  // Under `off` a customer's sign-in asks for nothing after the password, whatever staff
  // required (it stands again once the policy is back on).
  const passwordAlone = account.kind === 'contact' && settings.policy === 'off';
  return {
    enrolled: factors.length > 0,
    enrollmentRequired: !passwordAlone && (state?.enrollment_required === 1 || state?.setup_required === 1 || (factors.length === 0 && mustHaveMFA(account, settings.policy))),
    locked: lock.locked,
    factors: factors.map(presentFactor),
    recoveryCodesLeft: factors.length ? left : 0,
    rememberedDevices: passwordAlone || factors.length === 0 || state?.enrollment_required === 1 ? [] : devicesSignInHonours(account, devices, settings.rememberDeviceDays, now),
  };
}

/**
 * The remembered devices a sign-in lets skip the second step, with the expiry it applies: the
 * rules of isRememberedDevice (remembered-devices.ts), which this must follow. Only a customer's
 * device counts; none while the admin's period is 0 days; and one remembered for longer than
 * the period set since stops counting once it is that old, so its expiry is the earlier of the
 * two (shortening the period also shortens the stored expiries, settings/service.ts, so a
 * device cut short never counts again). The caller has already left out what sign-in never
 * reaches a device for (policy `off`, no factor, a new enrollment required by staff).
 */
function devicesSignInHonours(account: Account, devices: store.RememberedDevice[], days: number, now: Date): MFAOverview['rememberedDevices'] {
  if (account.kind !== 'contact' || days <= 0) return [];
  return devices.flatMap((d) => {
    const created = new Date(d.created_at).getTime();
    if (now.getTime() - created > days * DAY) return [];
    const expiresAt = new Date(Math.min(new Date(d.expires_at).getTime(), created + days * DAY)).toISOString();
    return [{ id: d.id, browser: d.browser, createdAt: d.created_at, lastUsedAt: d.last_used_at, expiresAt }];
  });
}
