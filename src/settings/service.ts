import { z } from 'zod';
import type { Context } from '../context.js';
import type { Executor } from '../db/index.js';

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

/** Merges a partial change into the settings; returns the settings before and after. */
export async function updateSettings(ctx: Context, trx: Executor, change: Partial<Settings>): Promise<{ before: Settings; after: Settings }> {
  const before = await getSettings(ctx, trx);
  const after = settingsSchema.parse({ ...before, ...change });
  const value = JSON.stringify(after);
  await trx
    .insertInto('settings')
    .values({ key: 'app', value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
  return { before, after };
}
