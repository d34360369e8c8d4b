import type { Context } from '../context.js';
import { takeAdvisoryLock, type Executor } from '../db/index.js';
import { generateToken } from '../crypto/random.js';
import { hashToken } from '../crypto/hash.js';
import type { AccountKind } from './store.js';

/** What an emailed single-use link is for. Each purpose only ever opens its own door. */
export type EmailTokenPurpose = 'verify_email' | 'password_reset' | 'invitation' | 'admin_setup' | 'email_change' | 'mfa_setup' | 'recovery_cancel';

export interface ConsumedToken {
  subjectKind: AccountKind;
  subjectID: string;
  data: string | null;
}

/**
 * Issues a token for an emailed link; only its SHA-256 is stored. Earlier unused ones of the same
 * purpose are voided, so each issue leaves its own link the only live one. That is a void then an
 * insert: on PostgreSQL (READ COMMITTED) two requests at the same instant would each void what was
 * there before and each insert, leaving two live links. A transaction-scoped advisory lock keyed
 * by the purpose and the person queues them; the second then voids the first's link. Not the
 * person's row: using a link locks its token and then the person, so locking the person first
 * here could deadlock against a link being used. SQLite runs one transaction at a time already.
 */
export async function issueEmailToken(
  ctx: Context,
  db: Executor,
  purpose: EmailTokenPurpose,
  subjectKind: AccountKind,
  subjectID: string,
  ttlMs: number,
  data: string | null = null,
): Promise<string> {
  const now = ctx.clock.now();
  await queueWithIssuers(ctx, db, purpose, subjectKind, subjectID);
  await voidEmailTokens(ctx, db, purpose, subjectKind, subjectID);
  const token = generateToken();
  await db
    .insertInto('email_tokens')
    .values({
      token_hash: hashToken(token),
      purpose,
      subject_kind: subjectKind,
      subject_id: subjectID,
      data,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + ttlMs).toISOString(),
      used_at: null,
    })
    .execute();
  return token;
}

/**
 * Uses a token up. One conditional UPDATE decides: of many concurrent requests with the same
 * token, exactly one gets the subject back; the rest get null, as do unknown and expired ones.
 * The lookup is by hash, so the token itself is never compared.
 */
export async function consumeEmailToken(ctx: Context, db: Executor, purpose: EmailTokenPurpose, token: string): Promise<ConsumedToken | null> {
  if (typeof token !== 'string' || token.length < 16 || token.length > 128) return null;
  const nowISO = ctx.clock.now().toISOString();
  const hash = hashToken(token);
  const r = await db
    .updateTable('email_tokens')
    .set({ used_at: nowISO })
    .where('token_hash', '=', hash)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', nowISO)
    .returning(['subject_kind', 'subject_id', 'data'])
    .executeTakeFirst();
  return r ? { subjectKind: r.subject_kind, subjectID: r.subject_id, data: r.data } : null;
}

/** Looks a token up without using it (to show an invitation page, say). */
export async function peekEmailToken(ctx: Context, db: Executor, purpose: EmailTokenPurpose, token: string): Promise<ConsumedToken | null> {
  if (typeof token !== 'string' || token.length < 16 || token.length > 128) return null;
  const nowISO = ctx.clock.now().toISOString();
  const r = await db
    .selectFrom('email_tokens')
    .select(['subject_kind', 'subject_id', 'data'])
    .where('token_hash', '=', hashToken(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', nowISO)
    .executeTakeFirst();
  return r ? { subjectKind: r.subject_kind, subjectID: r.subject_id, data: r.data } : null;
}

/**
 * Queues `db`'s transaction with every other that issues links of `purpose` to this person,
 * until it ends (PostgreSQL; SQLite runs one transaction at a time already). An email change
 * takes it before it moves the address, so that a link issued at that moment either comes
 * wholly before the move (and is voided by it) or after it (and sees the new address).
 */
export async function queueWithIssuers(ctx: Context, db: Executor, purpose: EmailTokenPurpose, subjectKind: AccountKind, subjectID: string): Promise<void> {
  if (ctx.dialect === 'postgres') await takeAdvisoryLock(db, `portico.email-token:${purpose}:${subjectKind}:${subjectID}`);
}

export async function voidEmailTokens(ctx: Context, db: Executor, purpose: EmailTokenPurpose, subjectKind: AccountKind, subjectID: string): Promise<void> {
  await db
    .updateTable('email_tokens')
    .set({ used_at: ctx.clock.now().toISOString() })
    .where('purpose', '=', purpose)
    .where('subject_kind', '=', subjectKind)
    .where('subject_id', '=', subjectID)
    .where('used_at', 'is', null)
    .execute();
}
