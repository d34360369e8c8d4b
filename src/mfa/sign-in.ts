import type { Context } from '../context.js';
import type { Account } from '../accounts/store.js';
import type { SessionLevel } from '../sessions/service.js';

/** What the password step leads to: a full session, a second step, or enrollment first. */
export interface SecondStepDecision {
  level: SessionLevel;
  /** The ways the pending second step can be passed (API.md `methods`). */
  methods?: string[];
  /** Why no second step was asked for although the account has factors. */
  skippedBy?: 'remembered_device';
}

/** Decides the session level after a correct password. */
export async function levelAfterPassword(_ctx: Context, _account: Account, _rememberedDeviceToken?: string): Promise<SecondStepDecision> {
  return { level: 'full' };
}
