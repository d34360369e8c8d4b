import { DAY } from '../clock.js';
import type { Context, RequestMeta } from '../context.js';
import type { Executor } from '../db/index.js';
import { deleteExpiredInKeyOrder } from '../db/sets.js';
import { generateID, generateToken } from '../crypto/random.js';
import { hmacHex } from '../crypto/hash.js';
import type { Account } from '../accounts/store.js';
import { describeBrowser, templates } from '../notify/templates.js';
import * as store from './store.js';
import { ownerOf } from './lockout.js';

/** Remembered devices store a keyed hash of the cookie's token, never the token. */
function hashDeviceToken(ctx: Context, token: string): string {
  return hmacHex(ctx.keys.remember, token);
}

/** Remembers this browser for `days`; returns the cookie token. */
export async function rememberDevice(ctx: Context, db: Executor, account: Account, days: number, meta: RequestMeta): Promise<{ token: string; maxAgeSeconds: number }> {
  const token = generateToken();
  const now = ctx.clock.now();
  await store.insertRememberedDevice(db, {
    id: generateID('rd', now),
    owner_kind: account.kind,
    owner_id: account.id,
    token_hash: hashDeviceToken(ctx, token),
    browser: describeBrowser(meta.userAgent),
    ip: meta.ip,
    created_at: now.toISOString(),
    last_used_at: now.toISOString(),
    expires_at: new Date(now.getTime() + days * DAY).toISOString(),
  });
  // A browser that skips the second step for weeks is worth a word to the owner: if a phished
  // password and code were used with "Remember this browser", this email is how they learn it.
  const until = new Date(now.getTime() + days * DAY);
  await ctx.mailer.enqueue(
    db,
    templates.securityNoticeFor(account.kind)(
      account.email,
      'A browser was remembered for your sign-ins',
      [
        `${describeBrowser(meta.userAgent)} was remembered at sign-in: it will skip the second step until ${until.toISOString().replace('T', ' ').slice(0, 16)} UTC. You can forget it on your security page at any time.`,
      ],
      { at: now, ...meta, actor: 'you' },
    ),
  );
  return { token, maxAgeSeconds: days * 86400 };
}

/**
 * Whether the cookie's token names a live remembered device of this account. A device also
 * stops counting when the admin shortens the remembered-device period below its age.
 */
export async function isRememberedDevice(ctx: Context, db: Executor, account: Account, token: string | undefined, maxDays: number): Promise<boolean> {
  if (!token || token.length > 128 || maxDays <= 0) return false;
  const d = await store.findRememberedDevice(db, hashDeviceToken(ctx, token));
  const now = ctx.clock.now();
  if (!d || d.owner_kind !== account.kind || d.owner_id !== account.id) return false;
  if (d.expires_at <= now.toISOString()) return false;
  if (now.getTime() - new Date(d.created_at).getTime() > maxDays * DAY) return false;
  await store.touchRememberedDevice(db, ownerOf(account), d.id, now.toISOString());
  return true;
}

export function forgetRememberedDevices(ctx: Context, db: Executor, account: { kind: Account['kind']; id: string }, id?: string): Promise<number> {
  return store.deleteRememberedDevices(db, ownerOf(account), ctx.clock.now().toISOString(), id);
}

/** Deletes expired and revoked remembered devices (housekeeping); returns how many went. */
export function purgeExpiredRememberedDevices(ctx: Context): Promise<number> {
  return deleteExpiredInKeyOrder(ctx.db, 'remembered_devices', ['owner_kind', 'owner_id', 'id'], ctx.clock.now().toISOString());
}

/**
 * Shortens every stored remembered device to a new, shorter period of `days` (0 included), in
 * the caller's transaction: one already that old is revoked, the others end `days` after they
 * were remembered if that is sooner. Sign-in alone ignoring such a device was not enough: its
 * owner could no longer see or forget it, and a later longer period let it skip the second
 * step again. Never extends a device. Returns how many live devices were revoked and shortened.
 */
export function capRememberedDevicesToPeriod(ctx: Context, db: Executor, days: number): Promise<{ revoked: number; shortened: number }> {
  const now = ctx.clock.now();
  return store.capRememberedDevices(db, ctx.dialect, days, now.toISOString(), new Date(now.getTime() - days * DAY).toISOString());
}
