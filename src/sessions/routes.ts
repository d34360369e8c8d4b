import { z } from 'zod';
import type { Context } from '../context.js';
import type { App } from '../http/types.js';
import { AppError } from '../http/errors.js';
import { requireStaff } from '../http/guards.js';
import { requestMeta } from '../http/request-meta.js';
import { listQuery } from '../http/schemas.js';
import { getAccount } from '../accounts/service.js';
import { countWhatRevokingTakesBack } from '../recovery/ended-authority.js';
import { createAPIToken, listAPITokens, revokeAPIToken, SCOPES } from './api-tokens.js';
import { findAPITokenOwner, findTokenOwners } from './token-owners.js';

/** API tokens: admins manage them from a signed-in console session with a fresh step-up. */
export function registerAPITokenRoutes(app: App, ctx: Context): void {
  const tags = ['API tokens'];
  // Listing is managing too (API.md): which tokens exist, whose, with what scopes.
  app.get(
    '/api/v1/api-tokens',
    { schema: { tags, summary: 'API tokens, newest first; keyset-paged', querystring: z.object(listQuery) } },
    async (req) => {
      await requireStaff(ctx, req, { minRole: 'admin', sessionOnly: true, stepUp: true });
      const page = await listAPITokens(ctx, { limit: req.query.limit, cursor: req.query.cursor });
      // Whose each token is, and who made it, by name: ids alone say nothing to the admin
      // reading the list, and a token made in a colleague's name acts as theirs.
      const people = await findTokenOwners(ctx, page.items.flatMap((t) => [t.staffId, ...(t.createdBy ? [t.createdBy] : [])]));
      return {
        items: page.items.map((t) => ({ ...t, owner: people.get(t.staffId) ?? null, creator: t.createdBy ? (people.get(t.createdBy) ?? null) : null })),
        nextCursor: page.nextCursor,
      };
    },
  );

  // What revoking would take back with the token, for the console's confirmation: read-only,
  // under the same rights as the list (which shows the tokens it would be asked about).
  app.get(
    '/api/v1/api-tokens/:id/authority',
    {
      schema: {
        tags,
        summary: 'What revoking an API token would also take back (counts only; nothing changes)',
        params: z.object({ id: z.string().max(100) }),
      },
    },
    async (req) => {
      await requireStaff(ctx, req, { minRole: 'admin', sessionOnly: true, stepUp: true });
      const token = req.params.id.startsWith('tok_') ? await findAPITokenOwner(ctx, req.params.id) : null;
      if (!token) throw new AppError('not_found', 'No API token has this id');
      return { tokenId: token.id, owner: token.owner, ...(await countWhatRevokingTakesBack(ctx, token.id)) };
    },
  );

  app.post(
    '/api/v1/api-tokens',
    {
      schema: {
        tags,
        body: z.object({
          name: z.string().trim().min(1).max(100),
          scopes: z.array(z.enum(SCOPES)).min(1),
          expiresInDays: z.number().int().min(1).max(365).default(90),
          /** The staff member the token acts as (default: the admin creating it). */
          staffId: z.string().max(100).optional(),
        }),
      },
    },
    async (req, reply) => {
      const auth = await requireStaff(ctx, req, { minRole: 'admin', sessionOnly: true, stepUp: true });
      const owner = req.body.staffId ? await getAccount(ctx, 'staff', req.body.staffId) : auth.account;
      if (!owner) throw new AppError('not_found', 'No staff member has this id');
      const created = await createAPIToken(ctx, auth.actor, owner, req.body, requestMeta(req));
      reply.code(201);
      return created;
    },
  );

  app.delete('/api/v1/api-tokens/:id', { schema: { tags, params: z.object({ id: z.string().max(100) }) } }, async (req, reply) => {
    const auth = await requireStaff(ctx, req, { minRole: 'admin', sessionOnly: true, stepUp: true });
    await revokeAPIToken(ctx, auth.actor, req.params.id, requestMeta(req));
    reply.code(204).send();
  });
}
