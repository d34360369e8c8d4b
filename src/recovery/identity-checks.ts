import { MINUTE } from '../clock.js';
import type { Context, RequestMeta } from '../context.js';
import type { Executor } from '../db/index.js';
import { generateDigits, generateID } from '../crypto/random.js';
import { constantTimeEqual, deriveKey, hmacHex } from '../crypto/hash.js';
import { AppError } from '../http/errors.js';
import { appendAuditEvent, type Actor } from '../audit/service.js';
import { render } from '../notify/templates.js';
import type { Account } from '../accounts/store.js';
import { recordCodeFailure } from '../mfa/lockout.js';

/**
 * Identity checks (PRODUCT.md §4.6): a 6-digit code emailed to the address on file, read back
 * by the customer to the agent. The code lives 10 minutes and allows 5 tries; a confirmed check
 * is good for one action within 30 minutes.
 */
export const CHECK_CODE_TTL = 10 * MINUTE;
export const CHECK_VALID_FOR = 30 * MINUTE;
const MAX_TRIES = 5;

function hashCheckCode(ctx: Context, id: string, code: string): string {
  return hmacHex(deriveKey(ctx.config.secretKey, 'identity-check'), `${id}:${code}`);
}

/**
 * The subject of the code email. It says what the email is but never holds the code: subjects are
 * logged and kept in the outbox (and shown by `GET /outbox`) after the body is gone, and the code
 * must reach only the customer.
 */
export const CHECK_EMAIL_SUBJECT = 'Your verification code for our support team';

export async function startIdentityCheck(ctx: Context, actor: Actor, staffID: string | null, target: Account, meta: RequestMeta): Promise<{ id: string; expiresAt: string }> {
  const now = ctx.clock.now();
  const id = generateID('chk', now);
  const code = generateDigits(6);
  const expiresAt = new Date(now.getTime() + CHECK_CODE_TTL).toISOString();
  await ctx.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('identity_checks')
      .values({ id, owner_kind: target.kind, owner_id: target.id, staff_id: staffID, code_hash: hashCheckCode(ctx, id, code), created_at: now.toISOString(), expires_at: expiresAt, verified_at: null, used_at: null })
      .execute();
    await appendAuditEvent(ctx, trx, { actor, action: 'identity_check.sent', ...(target.kind === 'contact' ? { contactID: target.id } : { staffID: target.id }), meta, details: { checkId: id } });
    // The code goes in the body only (text and HTML), which the outbox blanks once it is sent.
    await ctx.mailer.enqueue(
      trx,
      render({
        to: target.email,
        subject: CHECK_EMAIL_SUBJECT,
        lines: [
          `Your verification code is ${code}.`,
          target.kind === 'staff' ? 'Read this code only to the Portico admin you are talking to about your staff account. Nobody will ever ask you for your password or your authenticator codes.' : 'Read this code only to a support agent you are talking to about your account. Nobody from support will ever ask you for your password or your authenticator codes.',
          'The code expires in 10 minutes.',
        ],
        notYou: target.kind === 'staff' ? 'If you are not talking to a Portico admin about your staff account right now, do not share this code with anyone, and tell your security team.' : 'If you are not talking to our support team right now, do not share this code with anyone, and let us know.',
      }),
    );
  });
  return { id, expiresAt };
}

/**
 * The agent enters the code the customer read back. Each try is taken by one conditional write
 * (the check is unconfirmed, unexpired and has tries left), so parallel guesses cannot exceed
 * MAX_TRIES, and a right code is confirmed by that same write, so two confirmations cannot both
 * pass. A wrong code that was judged also counts against the account's code counter (PRODUCT.md
 * §7), in a transaction of its own after the try, by the conditional write that counts
 * second-step codes (recordCodeFailure): a sign-in that passes meanwhile ends the run, and only
 * the failure that reaches a lock sets and announces it. A try refused before judging (no tries
 * left, expired) counts nowhere, and answers the same whether or not the code was right.
 */
export async function confirmIdentityCheck(ctx: Context, actor: Actor, staffID: string, target: Account, checkID: string, code: string, meta: RequestMeta): Promise<void> {
  const nowISO = ctx.clock.now().toISOString();
  // Only the staff member who sent the code enters it: the customer reads it to them.
  const check = await ctx.db
    .selectFrom('identity_checks')
    .select(['id', 'code_hash'])
    .where('id', '=', checkID)
    .where('owner_kind', '=', target.kind)
    .where('owner_id', '=', target.id)
    .where('staff_id', '=', staffID)
    .executeTakeFirst();
  if (!check) throw new AppError('not_found', 'No identity check has this id');
  const ok = /^\d{6}$/.test(code) && constantTimeEqual(hashCheckCode(ctx, check.id, code), check.code_hash);
  /** One try on a live check: true when this request got it. */
  const takeTry = async (db: Executor, confirm: boolean): Promise<boolean> => {
    const r = await db
      .updateTable('identity_checks')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), ...(confirm ? { verified_at: nowISO } : {}) }))
      .where('id', '=', check.id)
      .where('verified_at', 'is', null)
      .where('expires_at', '>', nowISO)
      .where('attempts', '<', MAX_TRIES)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  };
  if (!ok) {
    if (!(await takeTry(ctx.db, false))) throw await refusal(ctx.db, check.id);
    await recordCodeFailure(ctx, target, meta, 'identity_check', { actor, checkID: check.id });
    throw new AppError('invalid_code', 'That code does not match');
  }
  await ctx.db.transaction().execute(async (trx) => {
    if (!(await takeTry(trx, true))) throw await refusal(trx, check.id);
    await appendAuditEvent(ctx, trx, { actor, action: 'identity_check.confirmed', ...(target.kind === 'contact' ? { contactID: target.id } : { staffID: target.id }), meta, details: { checkId: check.id } });
  });
}

/** Why a try was refused, read after the conditional write said no. */
async function refusal(db: Executor, checkID: string): Promise<AppError> {
  const row = await db.selectFrom('identity_checks').select('verified_at').where('id', '=', checkID).executeTakeFirst();
  if (row?.verified_at) return new AppError('conflict', 'This identity check is already confirmed');
  return new AppError('invalid_code', 'This identity check expired or ran out of tries: send a new code');
}

/**
 * Uses a confirmed check up for one action, inside that action's transaction. Conditional: a
 * check that was used, is not confirmed, is older than 30 minutes, is of someone else, or was
 * run by another staff member (`staffID`, the one acting; null matches none) does not pass.
 * Check ids show in the audit log, which every staff role reads: without the last condition,
 * a colleague could act on the strength of a conversation they never had.
 */
export async function consumeIdentityCheck(ctx: Context, trx: Executor, target: Account, checkID: string, staffID: string | null): Promise<boolean> {
  if (staffID === null) return false;
  const now = ctx.clock.now();
  const r = await trx
    .updateTable('identity_checks')
    .set({ used_at: now.toISOString() })
    .where('id', '=', checkID)
    .where('owner_kind', '=', target.kind)
    .where('owner_id', '=', target.id)
    .where('staff_id', '=', staffID)
    .where('verified_at', 'is not', null)
    .where('verified_at', '>', new Date(now.getTime() - CHECK_VALID_FOR).toISOString())
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
