import { z } from 'zod';
import type { Context } from '../context.js';
import type { App } from '../http/types.js';
import { AppError } from '../http/errors.js';
import { requireStaff } from '../http/guards.js';
import { MAX_ATTEMPTS } from './mailer.js';

/** Admins see the outbox: what failed to deliver (and why), what waits, and can retry now. */
export function registerOutboxRoutes(app: App, ctx: Context): void {
  const tags = ['email outbox'];
  app.get('/api/v1/outbox', { schema: { tags, querystring: z.object({ status: z.enum(['failing', 'queued', 'sent']).default('failing') }) } }, async (req) => {
    await requireStaff(ctx, req, { minRole: 'admin', scope: 'settings:write' });
    let q = ctx.db.selectFrom('outbox').select(['id', 'recipient', 'subject', 'attempts', 'last_error', 'next_attempt_at', 'created_at', 'sent_at']);
    if (req.query.status === 'failing') q = q.where('sent_at', 'is', null).where('attempts', '>', 0);
    if (req.query.status === 'queued') q = q.where('sent_at', 'is', null);
    if (req.query.status === 'sent') q = q.where('sent_at', 'is not', null);
    const rows = await q.orderBy('seq', 'desc').limit(100).execute();
    const counts = await ctx.db
      .selectFrom('outbox')
      .select([
        (eb) => eb.fn.countAll<number>().as('queued'),
        (eb) => eb.fn.sum<number>(eb.case().when('attempts', '>', 0).then(1).else(0).end()).as('failing'),
      ])
      .where('sent_at', 'is', null)
      .executeTakeFirstOrThrow();
    return {
      queued: Number(counts.queued),
      failing: Number(counts.failing ?? 0),
      items: rows.map((r) => ({ id: r.id, to: r.recipient, subject: r.subject, attempts: Number(r.attempts), lastError: r.last_error, nextAttemptAt: r.next_attempt_at, createdAt: r.created_at, sentAt: r.sent_at })),
    };
  });

  app.post('/api/v1/outbox/:id/retry', { schema: { tags, params: z.object({ id: z.string().max(100) }) } }, async (req) => {
    await requireStaff(ctx, req, { minRole: 'admin', scope: 'settings:write' });
    // Now, and once more even when its automatic tries ran out (the delivery loop leaves an
    // email alone after MAX_ATTEMPTS): after an outage, the admin's retry is what sends it.
    const r = await ctx.db
      .updateTable('outbox')
      .set((eb) => ({
        next_attempt_at: ctx.clock.now().toISOString(),
        attempts: eb.case().when('attempts', '>=', MAX_ATTEMPTS).then(MAX_ATTEMPTS - 1).else(eb.ref('attempts')).end(),
      }))
      .where('id', '=', req.params.id)
      .where('sent_at', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new AppError('not_found', 'No undelivered email has this id');
    void ctx.mailer.deliverDue().catch(() => undefined);
    return { retrying: true };
  });
}
