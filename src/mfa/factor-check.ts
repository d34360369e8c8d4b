import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Context, RequestMeta } from '../context.js';
import type { Executor } from '../db/index.js';
import { AppError } from '../http/errors.js';
import { appendAuditEvent } from '../audit/service.js';
import { templates } from '../notify/templates.js';
import type { Account } from '../accounts/store.js';
import * as store from './store.js';
import * as stateStore from './state-store.js';
import { matchTOTPStep } from './totp.js';
import { matchRecoveryCode } from './recovery-codes.js';
import { verifyAuthentication } from './webauthn.js';
import { ownerOf } from './lockout.js';

/** What a person offers as their second step. */
export type SecondFactorInput =
  | { method: 'totp'; code: string }
  | { method: 'recovery_code'; code: string }
  | { method: 'temporary_code'; code: string }
  | { method: 'webauthn'; response: AuthenticationResponseJSON };

export type CheckResult =
  | { ok: true; method: SecondFactorInput['method']; factorID: string | null }
  /** `reason` names a refusal worth telling apart in the audit log from a wrong code. */
  | { ok: false; reason?: 'counter_not_increased'; factorID?: string };

/** The TOTP factor and time step a code matches, before the replay guard has had its say. */
export interface TOTPMatch {
  factorID: string;
  step: number;
}

/** Which of the account's TOTP factors a code matches, and at which step (no write). */
export async function findTOTPMatch(ctx: Context, account: Account, code: string, now: Date): Promise<TOTPMatch | null> {
  const factors = (await store.listFactors(ctx.db, ownerOf(account))).filter((f) => f.type === 'totp');
  for (const f of factors) {
    const step = matchTOTPStep(ctx.secretBox.open(f.secretSealed!, f.id), code, now);
    if (step !== null) return { factorID: f.id, step };
  }
  return null;
}

/**
 * The replay guard: one conditional write that uses the step up, and refuses a step at or
 * below the last one accepted. `db` may be the transaction of the sign-in it lets through.
 */
export function consumeTOTPMatch(db: Executor, match: TOTPMatch, atISO: string): Promise<boolean> {
  return store.consumeTOTPStep(db, match.factorID, match.step, atISO);
}

/**
 * Checks one second-step answer against the account's factors and uses it up: a TOTP step, a
 * recovery code, a WebAuthn challenge and a temporary code each pass at most once, decided
 * by a conditional write. `challengeKey` names the stored WebAuthn challenge.
 */
export async function checkSecondFactor(
  ctx: Context,
  account: Account,
  input: SecondFactorInput,
  webauthnChallenge: { sessionHash: string; purpose: 'sign_in' | 'step_up' },
  meta: RequestMeta,
): Promise<CheckResult> {
  const owner = ownerOf(account);
  const now = ctx.clock.now();
  const nowISO = now.toISOString();
  switch (input.method) {
    case 'totp': {
      const match = await findTOTPMatch(ctx, account, input.code, now);
      // A step at or below the last one accepted is a replay, even if the code is right.
      if (match && (await consumeTOTPMatch(ctx.db, match, nowISO))) return { ok: true, method: 'totp', factorID: match.factorID };
      return { ok: false };
    }
    case 'recovery_code': {
      const codes = await store.listUnusedRecoveryCodes(ctx.db, owner);
      const i = await matchRecoveryCode(input.code, codes.map((c) => c.codeHash));
      if (i < 0 || !(await store.consumeRecoveryCode(ctx.db, owner, codes[i].id, nowISO))) return { ok: false };
      const left = await store.countUnusedRecoveryCodes(ctx.db, owner);
      await ctx.db.transaction().execute(async (trx) => {
        await appendAuditEvent(ctx, trx, {
          actor: { type: account.kind, id: account.id },
          action: 'mfa.recovery_code.used',
          ...(account.kind === 'contact' ? { contactID: account.id } : { staffID: account.id }),
          meta,
          details: { left },
        });
        await ctx.mailer.enqueue(
          trx,
          templates.securityNotice(
            account.email,
            'A recovery code was used on your account',
            [`A recovery code was used to pass two-step verification. You have ${left} recovery code${left === 1 ? '' : 's'} left${left <= 3 ? ': generate a new set on your security page' : ''}.`],
            { at: now, ...meta },
          ),
        );
      });
      return { ok: true, method: 'recovery_code', factorID: null };
    }
    case 'webauthn': {
      const challenge = await stateStore.takeChallenge(ctx.db, webauthnChallenge.sessionHash, webauthnChallenge.purpose, nowISO);
      if (!challenge) throw new AppError('invalid_code', 'Ask for a new passkey challenge first (POST …/webauthn/options)');
      const factor = typeof input.response?.id === 'string' ? await store.findFactorByCredentialID(ctx.db, input.response.id) : null;
      if (!factor || factor.owner.kind !== owner.kind || factor.owner.id !== owner.id || factor.status !== 'active') return { ok: false };
      const verified = await verifyAuthentication(ctx.config, input.response, challenge, factor);
      if (!verified) return { ok: false };
      if (verified.counterNotIncreased) return { ok: false, reason: 'counter_not_increased', factorID: factor.id };
      const advanced = await store.advanceWebAuthnCounter(ctx.db, factor.id, factor.counter ?? 0, verified.newCounter, nowISO);
      return advanced ? { ok: true, method: 'webauthn', factorID: factor.id } : { ok: false };
    }
    case 'temporary_code':
      // A sign-in takes its code in the transaction that opens the code's session
      // (sign-in.ts, judgeSecondStep), and a step-up refuses codes: none reaches here.
      throw new Error('temporary codes are not checked here');
  }
}
