import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { Context } from '../context.js';
import type { App } from '../http/types.js';
import { AppError } from '../http/errors.js';
import { requireSessionOf, requireStaff, type StaffAuth } from '../http/guards.js';
import { requestMeta } from '../http/request-meta.js';
import { listQuery, reasonSchema } from '../http/schemas.js';
import { getAccount, type Account } from '../accounts/service.js';
import { sameMailbox } from '../accounts/mailbox.js';
import * as toolkit from './service.js';
import { confirmIdentityCheck, startIdentityCheck } from './identity-checks.js';
import { cancelPendingAction, listPendingActions, lookUpByCancelToken, pendingActionOwner } from './pending-actions.js';
import { cancelRecoveryRequest, openRecoveryRequest } from './requests.js';

const verificationSchema = z
  .object({
    method: z.enum(['email_code', 'callback', 'other', 'none']),
    checkId: z.string().max(100).optional(),
    note: z.string().max(500).optional(),
  })
  .default({ method: 'none' });

const actionBody = z.object({ reason: reasonSchema, verification: verificationSchema });
const idParams = z.object({ id: z.string().max(100) });

type TargetKind = 'contact' | 'staff';

/**
 * The staff MFA toolkit (PRODUCT.md §4, API.md "Staff MFA toolkit") for contacts under
 * /contacts/{id} and, for admins, staff under /staff/{id}. Each action: the right role or
 * scope, a step-up over a browser session, never on one's own account, a reason, an optional
 * identity check, one transaction with its audit entry, and an email to the person.
 */
export function registerToolkitRoutes(app: App, ctx: Context): void {
  for (const kind of ['contact', 'staff'] as const) registerFor(app, ctx, kind);
}

function registerFor(app: App, ctx: Context, kind: TargetKind): void {
  const base = kind === 'contact' ? '/api/v1/contacts/:id' : '/api/v1/staff/:id';
  const tags = ['staff MFA toolkit'];
  const prefix = kind === 'contact' ? 'ct_' : 'st_';
  const manageScope = kind === 'contact' ? 'mfa:manage' : 'staff:manage';
  const manageRole = kind === 'contact' ? 'supervisor' : 'admin';

  async function target(id: string): Promise<Account> {
    const t = id.startsWith(prefix) ? await getAccount(ctx, kind, id) : null;
    if (!t) throw new AppError('not_found', `No ${kind === 'contact' ? 'contact' : 'staff member'} has this id`);
    return t;
  }

  /**
   * Who may act on whom, for every action including the identity check (PRODUCT.md §4): the
   * manage role or scope, a step-up over a browser session, and never one's own account.
   */
  async function authorize(req: FastifyRequest, id: string): Promise<{ auth: StaffAuth; target: Account }> {
    const auth = await requireStaff(ctx, req, { minRole: manageRole, scope: manageScope, stepUp: true });
    const t = await target(id);
    await refuseOwnAccount(ctx, auth, t);
    return { auth, target: t };
  }

  /** The guards every action shares; returns who acts on whom. */
  async function begin(req: FastifyRequest, id: string, body: { reason: string; verification?: toolkit.Verification }): Promise<{ auth: StaffAuth; action: toolkit.StaffAction }> {
    const { auth, target: t } = await authorize(req, id);
    return {
      auth,
      action: {
        actor: auth.actor,
        staffID: auth.account.id,
        actorLabel: 'our support team',
        target: t,
        reason: body.reason,
        verification: body.verification ?? { method: 'none' },
        meta: requestMeta(req),
      },
    };
  }

  app.get(`${base}/mfa`, { schema: { tags, params: idParams, summary: 'The Security panel' } }, async (req) => {
    await requireStaff(ctx, req, kind === 'contact' ? { scope: 'contacts:read' } : { minRole: 'admin', scope: 'staff:manage' });
    return toolkit.securityPanel(ctx, await target(req.params.id));
  });

  app.post(
    `${base}/mfa/reset`,
    { schema: { tags, params: idParams, body: actionBody.extend({ requireEnrollment: z.boolean().default(true) }) } },
    async (req, reply) => {
      const { action } = await begin(req, req.params.id, req.body);
      const r = await toolkit.resetMFA(ctx, action, req.body.requireEnrollment);
      if ('pendingActionId' in r) reply.code(202);
      return r;
    },
  );

  app.delete(
    `${base}/mfa/factors/:factorId`,
    { schema: { tags, params: z.object({ id: z.string().max(100), factorId: z.string().max(100) }), body: actionBody.extend({ revokeSessions: z.boolean().default(true) }) } },
    async (req, reply) => {
      const { action } = await begin(req, req.params.id, req.body);
      const r = await toolkit.removeFactor(ctx, action, req.params.factorId, req.body.revokeSessions);
      if ('pendingActionId' in r) reply.code(202);
      return r;
    },
  );

  app.post(`${base}/mfa/require-enrollment`, { schema: { tags, params: idParams, body: actionBody } }, async (req) => {
    const { action } = await begin(req, req.params.id, req.body);
    return toolkit.requireEnrollment(ctx, action);
  });

  app.delete(`${base}/mfa/require-enrollment`, { schema: { tags, params: idParams, body: actionBody } }, async (req) => {
    const { action } = await begin(req, req.params.id, req.body);
    return toolkit.cancelRequiredEnrollment(ctx, action);
  });

  app.post(
    `${base}/mfa/temporary-codes`,
    { schema: { tags, params: idParams, body: actionBody.extend({ ttlMinutes: z.number().int().min(1).max(4320).default(60) }) } },
    async (req, reply) => {
      const { action } = await begin(req, req.params.id, req.body);
      const r = await toolkit.issueTemporaryAccessCode(ctx, action, req.body.ttlMinutes);
      reply.code('pendingActionId' in r ? 202 : 201);
      return r;
    },
  );

  app.post(`${base}/mfa/unlock`, { schema: { tags, params: idParams, body: actionBody } }, async (req) => {
    const { action } = await begin(req, req.params.id, req.body);
    return toolkit.unlockAccount(ctx, action);
  });

  app.post(`${base}/sessions/revoke`, { schema: { tags, params: idParams, body: actionBody } }, async (req) => {
    const { action } = await begin(req, req.params.id, req.body);
    return toolkit.revokeAllSessions(ctx, action);
  });

  app.post(`${base}/remembered-devices/revoke`, { schema: { tags, params: idParams, body: actionBody } }, async (req) => {
    const { action } = await begin(req, req.params.id, req.body);
    return toolkit.revokeRememberedDevices(ctx, action);
  });

  // Verify identity is a toolkit action like the others (PRODUCT.md §4.6): both sending the code
  // and entering it need the step-up, so a hijacked console session cannot confirm a check.
  app.post(`${base}/identity-checks`, { schema: { tags, params: idParams, body: z.object({}).passthrough().optional() } }, async (req, reply) => {
    const { auth, target: t } = await authorize(req, req.params.id);
    reply.code(201);
    return startIdentityCheck(ctx, auth.actor, auth.account.id, t, requestMeta(req));
  });

  app.post(
    `${base}/identity-checks/:checkId/confirm`,
    { schema: { tags, params: z.object({ id: z.string().max(100), checkId: z.string().max(100) }), body: z.object({ code: z.string().trim().max(20) }) } },
    async (req) => {
      const { auth, target: t } = await authorize(req, req.params.id);
      await confirmIdentityCheck(ctx, auth.actor, auth.account.id, t, req.params.checkId, req.body.code, requestMeta(req));
      return { verified: true };
    },
  );
}

/**
 * No staff member runs MFA actions on their own account (PRODUCT.md §4): their staff account,
 * their own customer account (the same mailbox, case and +tags aside: see sameMailbox), nor
 * through a token made for someone else, whose creator counts as the one acting too. 403
 * `forbidden`.
 */
async function refuseOwnAccount(ctx: Context, auth: StaffAuth, t: Account): Promise<void> {
  if (t.kind === 'staff' && t.id === auth.account.id) throw new AppError('forbidden', 'You cannot run MFA actions on your own account; ask another admin');
  if (t.kind === 'contact' && sameMailbox(t.email, auth.account.email)) throw new AppError('forbidden', 'You cannot run MFA actions on your own customer account; ask a colleague');
  const creatorID = auth.token?.createdBy;
  if (creatorID && creatorID !== auth.account.id) {
    const creator = await getAccount(ctx, 'staff', creatorID);
    if ((t.kind === 'staff' && t.id === creatorID) || (t.kind === 'contact' && creator && sameMailbox(t.email, creator.email))) {
      throw new AppError('forbidden', 'This token was created by the owner of this account, who cannot run MFA actions on it');
    }
  }
}

/** Pending actions of the waiting period: staff see and cancel them. */
export function registerPendingActionRoutes(app: App, ctx: Context): void {
  const tags = ['waiting period'];
  app.get(
    '/api/v1/pending-actions',
    {
      schema: {
        tags,
        summary: 'Pending actions of the waiting period, newest first',
        querystring: z.object({ status: z.enum(['pending', 'done', 'cancelled', 'failed']).optional(), contactId: z.string().max(100).optional(), ...listQuery }),
      },
    },
    async (req) => {
      // The reasons and targets of scheduled MFA actions are for those who may run them.
      await requireStaff(ctx, req, { minRole: 'supervisor', scope: 'mfa:manage' });
      const { status, contactId, limit, cursor } = req.query;
      return listPendingActions(ctx, { status, ...(contactId ? { ownerKind: 'contact' as const, ownerID: contactId } : {}) }, { limit, cursor });
    },
  );

  // A toolkit action like the others: step-up over a session, never on one's own account.
  app.post('/api/v1/pending-actions/:id/cancel', { schema: { tags, params: idParams, body: z.object({ reason: reasonSchema }) } }, async (req) => {
    const auth = await requireStaff(ctx, req, { minRole: 'supervisor', scope: 'mfa:manage', stepUp: true });
    const owner = await pendingActionOwner(ctx, req.params.id);
    if (owner) {
      // Scheduled changes are only ever for contacts; one for staff would need an admin.
      if (owner.kind === 'staff' && auth.account.role !== 'admin') throw new AppError('forbidden', 'This needs the admin role or higher');
      await refuseOwnAccount(ctx, auth, owner);
    }
    return cancelPendingAction(ctx, { staff: auth.actor, reason: req.body.reason, id: req.params.id, meta: requestMeta(req) });
  });

  // The customer's emailed link: what it would cancel (read-only, so its page can say so before
  // the button), and the cancel itself. Both work in every sign-in state, by the token alone.
  app.post('/api/v1/auth/pending-actions/lookup', { schema: { tags, body: z.object({ token: z.string().min(1).max(256) }) } }, async (req) => {
    return lookUpByCancelToken(ctx, req.body.token);
  });

  app.post('/api/v1/auth/pending-actions/cancel', { schema: { tags, body: z.object({ token: z.string().min(1).max(256) }) } }, async (req) => {
    const r = await cancelPendingAction(ctx, { token: req.body.token, meta: requestMeta(req) });
    return { cancelled: true, kind: r.kind };
  });
}

/** Locked-out customers ask for help from the second-step page; the emailed link cancels. */
export function registerRecoveryRequestRoutes(app: App, ctx: Context): void {
  const tags = ['locked-out requests'];
  app.post('/api/v1/auth/mfa/recovery-requests', { schema: { tags, body: z.object({ message: z.string().trim().min(1).max(5000) }) } }, async (req, reply) => {
    const { account } = await requireSessionOf(ctx, req, 'contact', ['mfa']);
    reply.code(201);
    return openRecoveryRequest(ctx, account, req.body.message, requestMeta(req));
  });

  app.post('/api/v1/auth/recovery-requests/cancel', { schema: { tags, body: z.object({ token: z.string().min(1).max(256) }) } }, async (req) => {
    const r = await cancelRecoveryRequest(ctx, req.body.token, requestMeta(req));
    return { cancelled: true, ticketId: r.ticketId };
  });
}
