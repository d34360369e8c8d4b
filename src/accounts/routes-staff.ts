import { z } from 'zod';
import type { Context } from '../context.js';
import type { App } from '../http/types.js';
import { AppError } from '../http/errors.js';
import { requireStaff } from '../http/guards.js';
import { requestMeta } from '../http/request-meta.js';
import { emailSchema, listQuery, nameSchema, seqCursor } from '../http/schemas.js';
import { mfaFilterConditions, summarizeMFA, type MFASummary } from '../mfa/summary.js';
import * as accounts from './service.js';
import { createContact, inviteStaff } from './invitations.js';
import { listStaffPage, updateStaffMember } from './staff.js';
import { countWhatStaffChangeTakesBack } from '../recovery/ended-authority.js';
import * as store from './store.js';
import type { Account } from './service.js';

export function presentContact(a: Account, mfa: MFASummary | undefined): Record<string, unknown> {
  return {
    id: a.id,
    email: a.email,
    name: a.name,
    createdAt: a.createdAt,
    emailVerified: a.emailVerifiedAt !== null,
    invited: a.passwordHash === null,
    mfa: mfa ?? { enrolled: false, methods: [], enrollmentRequired: false, locked: false },
  };
}

export function presentStaff(a: Account): Record<string, unknown> {
  return { id: a.id, email: a.email, name: a.name, role: a.role, active: a.active, invited: a.passwordHash === null, createdAt: a.createdAt };
}

/** Staff work on contacts and on the staff list. */
export function registerStaffAccountRoutes(app: App, ctx: Context): void {
  const tags = ['contacts'];

  app.get(
    '/api/v1/contacts',
    {
      schema: {
        tags,
        summary: 'Search contacts (name, email) with MFA filters; keyset-paged',
        querystring: z.object({
          query: z.string().max(200).optional(),
          mfa: z.enum(['enrolled', 'not_enrolled', 'locked', 'enrollment_required']).optional(),
          ...listQuery,
        }),
      },
    },
    async (req) => {
      await requireStaff(ctx, req, { scope: 'contacts:read' });
      const { query, mfa, limit, cursor } = req.query;
      const page = await store.searchContacts(ctx.db, ctx.dialect, {
        query,
        limit,
        beforeSeq: seqCursor(cursor),
        conditions: mfa ? mfaFilterConditions(mfa, ctx.clock.now().toISOString()) : [],
      });
      const summaries = await summarizeMFA(ctx, 'contact', page.items.map((c) => c.id));
      return { items: page.items.map((c) => presentContact(c, summaries.get(c.id))), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/api/v1/contacts',
    { schema: { tags, body: z.object({ email: emailSchema, name: nameSchema, invite: z.boolean().default(true) }) } },
    async (req, reply) => {
      const auth = await requireStaff(ctx, req, { scope: 'contacts:write' });
      const contact = await createContact(ctx, auth.actor, req.body, requestMeta(req));
      reply.code(201);
      return presentContact(contact, undefined);
    },
  );

  app.get('/api/v1/contacts/:id', { schema: { tags, params: z.object({ id: z.string().max(100) }) } }, async (req) => {
    await requireStaff(ctx, req, { scope: 'contacts:read' });
    const contact = req.params.id.startsWith('ct_') ? await accounts.getAccount(ctx, 'contact', req.params.id) : null;
    if (!contact) throw new AppError('not_found', 'No contact has this id');
    const summaries = await summarizeMFA(ctx, 'contact', [contact.id]);
    return presentContact(contact, summaries.get(contact.id));
  });

  // Staff administration (admins).
  app.get(
    '/api/v1/staff',
    { schema: { tags: ['staff'], summary: 'Staff members, newest first; keyset-paged', querystring: z.object(listQuery) } },
    async (req) => {
      await requireStaff(ctx, req, { minRole: 'admin', scope: 'staff:manage' });
      const page = await listStaffPage(ctx, { limit: req.query.limit, cursor: req.query.cursor });
      return { items: page.items.map(presentStaff), nextCursor: page.nextCursor };
    },
  );

  app.get('/api/v1/staff/:id', { schema: { tags: ['staff'], params: z.object({ id: z.string().max(100) }) } }, async (req) => {
    await requireStaff(ctx, req, { minRole: 'admin', scope: 'staff:manage' });
    const s = req.params.id.startsWith('st_') ? await accounts.getAccount(ctx, 'staff', req.params.id) : null;
    if (!s) throw new AppError('not_found', 'No staff member has this id');
    return presentStaff(s);
  });

  // What deactivating a staff member (or, with `role`, moving them to that role) would take
  // back, for the console's confirmation: read-only, under the rights of reading the staff
  // list; the change itself needs the step-up.
  app.get(
    '/api/v1/staff/:id/authority',
    {
      schema: {
        tags: ['staff'],
        summary: 'What deactivating a staff member, or moving them to `role`, would also take back (counts only; nothing changes)',
        params: z.object({ id: z.string().max(100) }),
        querystring: z.object({ role: z.enum(['agent', 'supervisor', 'admin']).optional() }),
      },
    },
    async (req) => {
      await requireStaff(ctx, req, { minRole: 'admin', scope: 'staff:manage' });
      const s = req.params.id.startsWith('st_') ? await accounts.getAccount(ctx, 'staff', req.params.id) : null;
      if (!s) throw new AppError('not_found', 'No staff member has this id');
      const change = req.query.role ? { role: req.query.role } : { active: false };
      return { staffId: s.id, change, ...(await countWhatStaffChangeTakesBack(ctx, { id: s.id, active: s.active, role: s.role! }, change)) };
    },
  );

  app.post(
    '/api/v1/staff',
    { schema: { tags: ['staff'], body: z.object({ email: emailSchema, name: nameSchema, role: z.enum(['agent', 'supervisor', 'admin']) }) } },
    async (req, reply) => {
      // Granting console access is as sensitive as an API token: a stolen admin cookie alone
      // must not mint a new admin (over a session, the admin's own second step first).
      const auth = await requireStaff(ctx, req, { minRole: 'admin', scope: 'staff:manage', stepUp: true });
      const staff = await inviteStaff(ctx, auth.actor, req.body, requestMeta(req));
      reply.code(201);
      return presentStaff(staff);
    },
  );

  app.patch(
    '/api/v1/staff/:id',
    {
      schema: {
        tags: ['staff'],
        params: z.object({ id: z.string().max(100) }),
        body: z
          .object({ role: z.enum(['agent', 'supervisor', 'admin']).optional(), active: z.boolean().optional() })
          .refine((b) => b.role !== undefined || b.active !== undefined, 'give role or active'),
      },
    },
    async (req) => {
      const auth = await requireStaff(ctx, req, { minRole: 'admin', scope: 'staff:manage', stepUp: true });
      if (!req.params.id.startsWith('st_')) throw new AppError('not_found', 'No staff member has this id');
      const updated = await updateStaffMember(ctx, auth, req.params.id, req.body, requestMeta(req));
      return presentStaff(updated);
    },
  );
}

