import { Readable } from 'node:stream';
import { z } from 'zod';
import type { Context } from '../context.js';
import type { App } from '../http/types.js';
import { AppError } from '../http/errors.js';
import { requireStaff, type StaffAuth } from '../http/guards.js';
import { getAccount } from '../accounts/service.js';
import { requestMeta } from '../http/request-meta.js';
import { isoInstantSchema, listQuery, reasonSchema } from '../http/schemas.js';
import { csvCell } from '../audit/export.js';
import { cancelBulkJob, getBulkJob, listBulkJobFailures, listBulkJobs } from './bulk.js';
import { createBulkJob, dryRun, matchedContacts } from './bulk-targets.js';
import { mfaOverview } from '../mfa/overview.js';

const filterSchema = z
  .object({
    all: z.boolean().optional(),
    methods: z.array(z.enum(['totp', 'webauthn'])).min(1).optional(),
    enrolledBefore: isoInstantSchema.optional(),
    // Each a non-blank line: a blank one would quietly match nobody, and a list of blanks would
    // still count as the filter given and start a job of no one.
    emails: z.array(z.string().trim().min(1, 'must not be blank').max(254)).min(1).max(200_000).optional(),
  })
  .refine((f) => f.all === true || f.methods || f.enrolledBefore || f.emails, 'give at least one filter: all, methods, enrolledBefore or emails');

/** Bulk MFA reset for incidents (PRODUCT.md §4.7): admins only, dry run first, then a background job. */
export function registerBulkRoutes(app: App, ctx: Context): void {
  const tags = ['bulk reset'];
  app.post(
    '/api/v1/mfa/bulk-resets',
    {
      bodyLimit: 8 * 1024 * 1024,
      schema: { tags, body: z.object({ filter: filterSchema, reason: reasonSchema, requireEnrollment: z.boolean().default(true), dryRun: z.boolean().default(false) }) },
    },
    async (req, reply) => {
      const auth = await requireStaff(ctx, req, { minRole: 'admin', scope: 'mfa:bulk', stepUp: !req.body.dryRun });
      const own = await ownMailboxes(ctx, auth);
      if (req.body.dryRun) return dryRun(ctx, req.body.filter, own);
      const job = await createBulkJob(ctx, auth.actor, req.body, requestMeta(req), { own });
      ctx.wake?.();
      reply.code(202);
      return job;
    },
  );

  // The dry run's full answer to "which": every contact a job with this filter would reset, as
  // CSV, streamed a chunk at a time. A POST for the same body as the dry run (a pasted list can
  // be 200,000 addresses); it changes nothing, so, like the dry run, it needs no step-up.
  app.post(
    '/api/v1/mfa/bulk-resets/matches',
    {
      bodyLimit: 8 * 1024 * 1024,
      schema: { tags, summary: 'Every contact a bulk reset with this filter would reset, as CSV (email,contactId)', body: z.object({ filter: filterSchema }) },
    },
    async (req, reply) => {
      const auth = await requireStaff(ctx, req, { minRole: 'admin', scope: 'mfa:bulk' });
      const own = await ownMailboxes(ctx, auth);
      const chunks = matchedContacts(ctx, req.body.filter, own);
      async function* lines(): AsyncGenerator<string> {
        yield 'email,contactId\r\n';
        for await (const contacts of chunks) {
          let text = '';
          for (const c of contacts) text += `${csvCell(c.email)},${csvCell(c.id)}\r\n`;
          yield text;
        }
      }
      const stamp = ctx.clock.now().toISOString().slice(0, 10);
      reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="portico-bulk-reset-matches-${stamp}.csv"`).header('cache-control', 'no-store');
      return reply.send(Readable.from(lines()));
    },
  );

  app.get('/api/v1/mfa/bulk-resets', { schema: { tags, summary: 'Bulk reset jobs, newest first; keyset-paged', querystring: z.object(listQuery) } }, async (req) => {
    await requireStaff(ctx, req, { minRole: 'admin', scope: 'mfa:bulk' });
    return listBulkJobs(ctx, req.query);
  });

  app.get('/api/v1/mfa/bulk-resets/:id', { schema: { tags, params: z.object({ id: z.string().max(100) }) } }, async (req) => {
    await requireStaff(ctx, req, { minRole: 'admin', scope: 'mfa:bulk' });
    const job = await getBulkJob(ctx, req.params.id);
    if (!job) throw new AppError('not_found', 'No bulk job has this id');
    return job;
  });

  app.get(
    '/api/v1/mfa/bulk-resets/:id/failures',
    { schema: { tags, summary: "The contacts a bulk reset job could not reset, in the job's order; keyset-paged", params: z.object({ id: z.string().max(100) }), querystring: z.object(listQuery) } },
    async (req) => {
      await requireStaff(ctx, req, { minRole: 'admin', scope: 'mfa:bulk' });
      const page = await listBulkJobFailures(ctx, req.params.id, req.query);
      if (!page) throw new AppError('not_found', 'No bulk job has this id');
      return page;
    },
  );

  app.post('/api/v1/mfa/bulk-resets/:id/cancel', { schema: { tags, params: z.object({ id: z.string().max(100) }) } }, async (req) => {
    const auth = await requireStaff(ctx, req, { minRole: 'admin', scope: 'mfa:bulk', stepUp: true });
    return cancelBulkJob(ctx, auth.actor, req.params.id, requestMeta(req));
  });
}

/**
 * The addresses whose customer accounts a bulk reset by this admin leaves out (as the single
 * action refuses them, routes.ts refuseOwnAccount): the admin's, or a token's owner's and its
 * maker's.
 */
async function ownMailboxes(ctx: Context, auth: StaffAuth): Promise<string[]> {
  const own = [auth.account.email];
  const makerID = auth.token?.createdBy;
  if (makerID && makerID !== auth.account.id) {
    const maker = await getAccount(ctx, 'staff', makerID);
    if (maker) own.push(maker.email);
  }
  return own;
}

/** The admins' MFA overview (charts in the console). */
export function registerOverviewRoutes(app: App, ctx: Context): void {
  app.get('/api/v1/mfa/overview', { schema: { tags: ['MFA overview'] } }, async (req) => {
    await requireStaff(ctx, req, { minRole: 'admin', scope: 'audit:read' });
    return mfaOverview(ctx);
  });
}
