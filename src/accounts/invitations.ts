import { DAY } from '../clock.js';
import type { Context, RequestMeta } from '../context.js';
import { generateID } from '../crypto/random.js';
import { hashPassword } from '../crypto/password.js';
import { AppError } from '../http/errors.js';
import { appendAuditEvent, type Actor } from '../audit/service.js';
import { templates } from '../notify/templates.js';
import { consumeEmailToken, issueEmailToken, peekEmailToken } from './email-tokens.js';
import { actorOf, link, targetOf } from './service.js';
import * as store from './store.js';
import type { Account, AccountKind, StaffRole } from './store.js';

/** Staff create a contact, by default emailing an invitation to choose a password. */
export async function createContact(ctx: Context, actor: Actor, input: { email: string; name: string; invite: boolean }, meta: RequestMeta): Promise<Account> {
  const email = store.normalizeEmail(input.email);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    if (await store.findAccountByEmail(trx, 'contact', email)) throw new AppError('conflict', 'A contact with this email already exists');
    const id = generateID('ct', now);
    await store.insertContact(trx, {
      id,
      email,
      name: input.name.trim(),
      password_hash: null,
      email_verified_at: null,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
    });
    if (input.invite) {
      const token = await issueEmailToken(ctx, trx, 'invitation', 'contact', id, 7 * DAY);
      await ctx.mailer.enqueue(trx, templates.invitation(email, input.name, link(ctx, `/invitation?token=${token}`)));
    }
    await appendAuditEvent(ctx, trx, { actor, action: 'contact.created', contactID: id, meta, details: { invited: input.invite } });
    return (await store.findAccountByID(trx, 'contact', id))!;
  });
}

export async function inviteStaff(ctx: Context, actor: Actor, input: { email: string; name: string; role: StaffRole }, meta: RequestMeta): Promise<Account> {
  const email = store.normalizeEmail(input.email);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    if (await store.findAccountByEmail(trx, 'staff', email)) throw new AppError('conflict', 'A staff member with this email already exists');
    const id = generateID('st', now);
    await store.insertStaff(trx, {
      id,
      email,
      name: input.name.trim(),
      role: input.role,
      password_hash: null,
      active: 1,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
    });
    const token = await issueEmailToken(ctx, trx, 'invitation', 'staff', id, 7 * DAY);
    await ctx.mailer.enqueue(trx, templates.invitation(email, input.name, link(ctx, `/admin/invitation?token=${token}`), input.role));
    await appendAuditEvent(ctx, trx, { actor, action: 'staff.invited', staffID: id, meta, details: { role: input.role } });
    return (await store.findAccountByID(trx, 'staff', id))!;
  });
}

/** What an invitation link is for, to greet the person on the accept page. */
export async function describeInvitation(ctx: Context, kind: AccountKind, token: string): Promise<{ email: string; name: string; firstAdmin: boolean } | null> {
  for (const purpose of kind === 'staff' ? (['invitation', 'admin_setup'] as const) : (['invitation'] as const)) {
    const t = await peekEmailToken(ctx, ctx.db, purpose, token);
    if (t && t.subjectKind === kind) {
      const a = await store.findAccountByID(ctx.db, kind, t.subjectID);
      if (a) return { email: a.email, name: a.name, firstAdmin: purpose === 'admin_setup' };
    }
  }
  return null;
}

/**
 * Accepts an invitation (or the first admin's setup link): sets the password and name. The
 * first admin may also choose the email address, since the server made the account up.
 * It does not sign in: the person signs in next, through every step the rules require.
 */
export async function acceptInvitation(
  ctx: Context,
  kind: AccountKind,
  input: { token: string; password: string; name?: string; email?: string },
  meta: RequestMeta,
): Promise<Account> {
  // The token is looked up before the password is hashed: argon2id costs ~13 ms and 19 MiB, and
  // a made-up or spent token must cost an anonymous caller one indexed read, nothing more. The
  // look-up decides nothing: using the token up inside the transaction below does, so of two
  // requests with one live token both may hash, and exactly one sets the password.
  const live =
    (await peekEmailToken(ctx, ctx.db, 'invitation', input.token)) ?? (kind === 'staff' ? await peekEmailToken(ctx, ctx.db, 'admin_setup', input.token) : null);
  if (!live || live.subjectKind !== kind) throw new AppError('invalid_token');
  const passwordHash = await hashPassword(input.password);
  return ctx.db.transaction().execute(async (trx) => {
    let t = await consumeEmailToken(ctx, trx, 'invitation', input.token);
    let firstAdmin = false;
    if (!t && kind === 'staff') {
      t = await consumeEmailToken(ctx, trx, 'admin_setup', input.token);
      firstAdmin = t !== null;
    }
    if (!t || t.subjectKind !== kind) throw new AppError('invalid_token');
    const account = await store.findAccountByID(trx, kind, t.subjectID);
    if (!account || !account.active || account.passwordHash) throw new AppError('invalid_token');
    const at = ctx.clock.now().toISOString();
    await store.updatePassword(trx, kind, account.id, passwordHash, at);
    const fields: { name?: string; email?: string } = {};
    if (input.name?.trim()) fields.name = input.name.trim();
    if (firstAdmin && input.email) {
      const email = store.normalizeEmail(input.email);
      const other = await store.findAccountByEmail(trx, 'staff', email);
      if (other && other.id !== account.id) throw new AppError('conflict', 'That address already belongs to another staff member');
      fields.email = email;
    }
    if (Object.keys(fields).length) await store.updateProfile(trx, kind, account.id, fields, at);
    if (kind === 'contact') await store.markEmailVerified(trx, account.id, at);
    await appendAuditEvent(ctx, trx, { actor: actorOf(account), action: firstAdmin ? 'staff.setup_completed' : 'auth.invitation.accepted', ...targetOf(account), meta });
    return (await store.findAccountByID(trx, kind, account.id))!;
  });
}
