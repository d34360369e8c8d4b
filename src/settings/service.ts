import { z } from 'zod';
import type { Context } from '../context.js';
import type { Executor } from '../db/index.js';
import { capRememberedDevicesToPeriod } from '../mfa/remembered-devices.js';

/** Every admin setting with its default. Stored as one JSON row so a change is atomic. */
export const settingsSchema = z.object({
  /** Whether customers may sign up themselves (else only by invitation). */
  allowSignup: z.boolean(),
  policy: z.enum(['off', 'optional', 'required']),
  rememberDeviceDays: z.number().int().min(0).max(90),
  waitingPeriodHours: z.number().int().min(0).max(168),
  /** Require a confirmed email identity check before staff act on a contact who has factors. */
  requireEmailVerification: z.boolean(),
});

export type Settings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Settings = {
  allowSignup: true,
  policy: 'optional',
  rememberDeviceDays: 30,
  waitingPeriodHours: 0,
  requireEmailVerification: false,
};

export async function getSettings(ctx: Context, db: Executor = ctx.db): Promise<Settings> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', 'app').executeTakeFirst();
  if (!row) return { ...DEFAULT_SETTINGS };
  return { ...DEFAULT_SETTINGS, ...settingsSchema.partial().parse(JSON.parse(row.value)) };
}

/**
 * The settings, read by a transaction that acts on them and must come wholly before or after
 * any change of them (a remembered device stored for the period read here, which a shorter
 * period would have to shorten). On PostgreSQL the row is held with a share lock (created with
 * the defaults first if missing), which updateSettings' write waits for, or this read for it.
 * On SQLite a transaction holds the only connection already.
 */
export async function getSettingsHeld(ctx: Context, trx: Executor): Promise<Settings> {
  await holdSettings(ctx, trx);
  return getSettings(ctx, trx);
}

/**
 * Holds the settings row (PostgreSQL: a share lock, the row created with the defaults first if
 * missing) for the rest of `trx`, without reading it: a settings change waits for `trx`, or
 * `trx` for it. A transaction that writes many people's remembered devices takes it before
 * them, as a bulk reset batch does: a shorter period rewrites every stored device, and the two
 * writing the same rows in different orders deadlocked.
 */
export async function holdSettings(ctx: Context, trx: Executor): Promise<void> {
  await lockSettingsRow(ctx, trx, 'share');
}

/** PostgreSQL: the settings row, created with the defaults if missing, locked for the rest of `trx`. */
async function lockSettingsRow(ctx: Context, trx: Executor, mode: 'share' | 'update'): Promise<void> {
  if (ctx.dialect !== 'postgres') return;
  await trx.insertInto('settings').values({ key: 'app', value: '{}' }).onConflict((oc) => oc.column('key').doNothing()).execute();
  const row = trx.selectFrom('settings').select('key').where('key', '=', 'app');
  await (mode === 'share' ? row.forShare() : row.forUpdate()).execute();
}

/** What a settings change did beyond the setting itself, for its audit entry. */
export interface SettingsEffects {
  /** Live remembered devices revoked and shortened by a shorter remembered-device period. */
  rememberedDevicesRevoked?: number;
  rememberedDevicesShortened?: number;
}

/**
 * Merges a partial change into the settings (holding the row from before it reads it, so that
 * changes at once apply one after the other); returns the settings before and after, and what
 * else the change did (`effects`, empty when nothing). Run it in the transaction that audits it:
 * a shorter remembered-device period shortens every stored device there too, so that a device
 * sign-in no longer honours is gone, not merely hidden until the period grows back.
 */
export async function updateSettings(ctx: Context, trx: Executor, change: Partial<Settings>): Promise<{ before: Settings; after: Settings; effects: SettingsEffects }> {
  // Held from before the read: two changes at once on PostgreSQL otherwise both read the old
  // row, and the one that wrote second put the other's keys back as they were, unaudited.
  // (SQLite: the transaction holds the only connection.)
  await lockSettingsRow(ctx, trx, 'update');
  const before = await getSettings(ctx, trx);
  const after = settingsSchema.parse({ ...before, ...change });
  const value = JSON.stringify(after);
  await trx
    .insertInto('settings')
    .values({ key: 'app', value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
  const effects: SettingsEffects = {};
  // Whatever the policy: under `off` devices are only set aside, and count again once it is back on.
  if (after.rememberDeviceDays < before.rememberDeviceDays) {
    const r = await capRememberedDevicesToPeriod(ctx, trx, after.rememberDeviceDays);
    effects.rememberedDevicesRevoked = r.revoked;
    effects.rememberedDevicesShortened = r.shortened;
  }
  return { before, after, effects };
}
