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
  | {
      ok: true;
      method: SecondFactorInput['method'];
      factorID: string | null;
      /**
       * The single-use write that spends what was offered (a TOTP step, a recovery code, a
       * passkey's counter), to run in the transaction the check lets through: it commits with
       * the session or the step-up it grants, or not at all. False when a racing request spent
       * it first; the caller then rolls back and counts a wrong code.
       */
      spend: (trx: Executor) => Promise<boolean>;
      /**
       * What the spend must tell (a recovery code's audit entry and email), to run after the
       * transaction's other writes: the audit chain's head is every transaction's last write.
       */
      announce: (trx: Executor) => Promise<void>;
    }
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
  return matchTOTPFactors(ctx, factors, code, now);
}

/** Which of these TOTP factors (oldest first) a code matches, and at which step (no write). */
export function matchTOTPFactors(ctx: Context, factors: Array<Pick<store.Factor, 'id' | 'secretSealed'>>, code: string, now: Date): TOTPMatch | null {
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
 * Judges one second-step answer against the account's factors without spending it: a right
 * answer comes back with its `spend`, the conditional write that uses it up (a TOTP step, a
 * recovery code and a passkey counter each pass at most once, decided by that write's row
 * count). Only a WebAuthn challenge is taken here, on its own: it is single-use whatever the
 * answer. `webauthnChallenge` names the stored WebAuthn challenge.
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
      // A step at or below the last one accepted is a replay, even if the code is right: the
      // spend refuses it.
      if (!match) return { ok: false };
      return { ok: true, method: 'totp', factorID: match.factorID, spend: (trx) => consumeTOTPMatch(trx, match, nowISO), announce: nothingToAnnounce };
    }
    case 'recovery_code': {
      const codes = await store.listUnusedRecoveryCodes(ctx.db, owner);
      const i = await matchRecoveryCode(input.code, codes.map((c) => c.codeHash));
      if (i < 0) return { ok: false };
      return {
        ok: true,
        method: 'recovery_code',
        factorID: null,
        spend: (trx) => store.consumeRecoveryCode(trx, owner, codes[i].id, nowISO),
        announce: (trx) => announceRecoveryCodeUse(ctx, trx, account, meta, now),
      };
    }
    case 'webauthn': {
      const challenge = await stateStore.takeChallenge(ctx.db, webauthnChallenge.sessionHash, webauthnChallenge.purpose, nowISO);
      if (!challenge) throw new AppError('invalid_code', 'Ask for a new passkey challenge first (POST …/webauthn/options)');
      const factor = typeof input.response?.id === 'string' ? await store.findFactorByCredentialID(ctx.db, input.response.id) : null;
      if (!factor || factor.owner.kind !== owner.kind || factor.owner.id !== owner.id || factor.status !== 'active') return { ok: false };
      const verified = await verifyAuthentication(ctx.config, input.response, challenge, factor);
      if (!verified) return { ok: false };
      if (verified.counterNotIncreased) return { ok: false, reason: 'counter_not_increased', factorID: factor.id };
      return { ok: true, method: 'webauthn', factorID: factor.id, spend: (trx) => store.advanceWebAuthnCounter(trx, factor.id, factor.counter ?? 0, verified.newCounter, nowISO), announce: nothingToAnnounce };
    }
    case 'temporary_code':
      // A sign-in takes its code in the transaction that opens the code's session
      // (second-step.ts, judgeSecondStep), and a step-up refuses codes: none reaches here.
      throw new Error('temporary codes are not checked here');
  }
}

async function nothingToAnnounce(): Promise<void> {}

/** The audit entry of a recovery code just spent, and the owner's email saying how many are left. */
async function announceRecoveryCodeUse(ctx: Context, trx: Executor, account: Account, meta: RequestMeta, now: Date): Promise<void> {
  const owner = ownerOf(account);
  const left = await store.countUnusedRecoveryCodes(trx, owner);
  await appendAuditEvent(ctx, trx, {
    actor: { type: account.kind, id: account.id },
    action: 'mfa.recovery_code.used',
    ...(account.kind === 'contact' ? { contactID: account.id } : { staffID: account.id }),
    meta,
    details: { left },
  });
  await ctx.mailer.enqueue(
    trx,
    templates.securityNoticeFor(account.kind)(
      account.email,
      'A recovery code was used on your account',
      [`A recovery code was used to pass two-step verification. You have ${left} recovery code${left === 1 ? '' : 's'} left${left <= 3 ? ': generate a new set on your security page' : ''}.`],
      { at: now, ...meta },
    ),
  );
}
