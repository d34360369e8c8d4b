import { z } from 'zod';
import type { Context } from '../context.js';
import type { App } from '../http/types.js';
import { AppError } from '../http/errors.js';
import { requireStaff, type StaffAuth } from '../http/guards.js';
import { getAccount } from '../accounts/service.js';
import { requestMeta } from '../http/request-meta.js';
import { isoInstantSchema, listQuery, reasonSchema } from '../http/schemas.js';
import { cancelBulkJob, getBulkJob, listBulkJobs } from './bulk.js';
import { createBulkJob, dryRun } from './bulk-targets.js';
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
