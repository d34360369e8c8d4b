import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../context.js';
import type { App } from '../http/types.js';
import { AppError } from '../http/errors.js';
import { COOKIES, clearCookie, readCookie, sessionCookieName, setCookie } from '../http/cookies.js';
import { issueCSRFToken } from '../http/csrf.js';
import { accountOf, currentSession, requireSessionOf, stateOf } from '../http/guards.js';
import { clientKey, enforceRateLimit } from '../http/rate-limit.js';
import { requestMeta } from '../http/request-meta.js';
import { emailSchema, nameSchema, passwordSchema, tokenSchema } from '../http/schemas.js';
import type { SessionKind } from '../sessions/service.js';
import { HOUR, MINUTE } from '../clock.js';
import { levelAfterPassword } from '../mfa/sign-in.js';
import { requireStepUpWhenEnrolled } from '../mfa/service.js';
import * as accounts from './service.js';
import { acceptInvitation, describeInvitation } from './invitations.js';
import type { Account } from './service.js';

/** The public shape of a signed-in person. */
export function presentAccount(a: Account): Record<string, unknown> {
  return {
    id: a.id,
    email: a.email,
    name: a.name,
    createdAt: a.createdAt,
    ...(a.kind === 'contact' ? { emailVerified: a.emailVerifiedAt !== null } : { role: a.role }),
  };
}

/**
 * Sign-in, sign-out, passwords, invitations and profile for one kind of person. Customers
 * get these under /api/v1/auth (+ /api/v1/me), staff under /api/v1/staff-auth (+ /staff-me),
 * each with its own cookie.
 */
export function registerAuthRoutes(app: App, ctx: Context, kind: SessionKind): void {
  const base = kind === 'contact' ? '/api/v1/auth' : '/api/v1/staff-auth';
  const me = kind === 'contact' ? '/api/v1/me' : '/api/v1/staff-me';
  const tags = [kind === 'contact' ? 'customer auth' : 'staff auth'];
  const cookie = sessionCookieName(kind);

  async function sessionPayload(req: FastifyRequest, reply: FastifyReply, token?: string) {
    const s = token === undefined ? await currentSession(ctx, req, kind) : null;
    const state = token === undefined ? stateOf(s) : undefined;
    const body: Record<string, unknown> = { state, csrfToken: issueCSRFToken(ctx, req, reply, kind, token) };
    if (s) {
      const account = await accountOf(ctx, s);
      if (account) body[kind === 'contact' ? 'contact' : 'staff'] = presentAccount(account);
      if (account && s.level === 'mfa') body.methods = (await levelAfterPassword(ctx, account)).methods ?? [];
    }
    return body;
  }

  app.get(`${base}/session`, { schema: { tags, summary: 'The sign-in state and the CSRF token' } }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    return sessionPayload(req, reply);
  });

  if (kind === 'contact') {
    app.post(
      `${base}/signup`,
      { schema: { tags, summary: 'Customer sign-up', body: z.object({ email: emailSchema, password: passwordSchema, name: nameSchema }) } },
      async (req, reply) => {
        await enforceRateLimit(ctx, `signup:${clientKey(req.ip)}`, ctx.config.rateLimitSignupPerHour, HOUR);
        await accounts.signUp(ctx, req.body, requestMeta(req));
        reply.code(201);
        return { status: 'check_email', detail: 'If the address can be used, a confirmation link is on its way.' };
      },
    );
    app.post(`${base}/verify-email`, { schema: { tags, body: z.object({ token: tokenSchema }) } }, async (req) => {
      await accounts.verifyEmail(ctx, req.body.token, requestMeta(req));
      return { verified: true };
    });
    app.post(`${base}/verify-email/resend`, { schema: { tags } }, async (req, reply) => {
      // Also from an enrollment-only session: under policy `required` an unconfirmed customer
      // must confirm the address before enrolling, and the first link may have expired.
      const { account } = await requireSessionOf(ctx, req, kind, ['full', 'enrollment']);
      await enforceRateLimit(ctx, `verify-resend:${account.id}`, 5, HOUR);
      await accounts.resendVerification(ctx, account);
      reply.code(202);
      return { sent: true };
    });
  }

  app.post(
    `${base}/login`,
    { schema: { tags, summary: 'Password sign-in', body: z.object({ email: z.string().max(254), password: z.string().max(1024) }) } },
    async (req, reply) => {
      await enforceRateLimit(ctx, `login:${kind}:${clientKey(req.ip)}`, ctx.config.rateLimitLoginPerMinute, MINUTE);
      const previous = await currentSession(ctx, req, kind);
      const result = await accounts.signIn(ctx, kind, req.body, requestMeta(req), previous, readCookie(req, COOKIES.remember));
      setCookie(ctx, reply, cookie, result.token);
      return {
        state: stateOf(result.session),
        ...(result.decision.methods ? { methods: result.decision.methods } : {}),
        csrfToken: issueCSRFToken(ctx, req, reply, kind, result.token),
      };
    },
  );

  app.post(`${base}/logout`, { schema: { tags } }, async (req, reply) => {
    const s = await currentSession(ctx, req, kind);
    if (s) await accounts.signOut(ctx, s, requestMeta(req));
    clearCookie(ctx, reply, cookie);
    reply.code(204).send();
  });

  app.post(`${base}/logout-everywhere`, { schema: { tags } }, async (req, reply) => {
    // Fully signed in only: a password alone (a pending second step, or an enrollment-only
    // session) must not be able to sign the owner out of every device. Plain logout is open.
    const { session } = await requireSessionOf(ctx, req, kind, ['full']);
    await accounts.signOutEverywhere(ctx, session, requestMeta(req));
    clearCookie(ctx, reply, cookie);
    reply.code(204).send();
  });

  app.post(`${base}/password/forgot`, { schema: { tags, body: z.object({ email: emailSchema }) } }, async (req, reply) => {
    await enforceRateLimit(ctx, `forgot:${kind}:${clientKey(req.ip)}`, ctx.config.rateLimitPasswordResetPerHour, HOUR);
    // The answer leaves before the work: a known address costs a transaction and an email, an
    // unknown one a single read, and the time to answer must not tell them apart.
    const meta = requestMeta(req);
    setImmediate(() => {
      accounts.requestPasswordReset(ctx, kind, req.body.email, meta).catch((error: unknown) => ctx.log.error({ error: error instanceof Error ? error.message : String(error) }, 'password reset request failed'));
    });
    reply.code(202);
    return { status: 'check_email' };
  });

  app.post(`${base}/password/reset`, { schema: { tags, body: z.object({ token: tokenSchema, password: passwordSchema }) } }, async (req) => {
    await enforceRateLimit(ctx, `reset:${kind}:${clientKey(req.ip)}`, ctx.config.rateLimitPasswordResetPerHour * 3, HOUR);
    await accounts.resetPassword(ctx, kind, req.body.token, req.body.password, requestMeta(req));
    return { reset: true };
  });

  // A POST, so that the token never appears in a URL or an access log.
  app.post(`${base}/invitations/lookup`, { schema: { tags, body: z.object({ token: tokenSchema }) } }, async (req) => {
    const info = await describeInvitation(ctx, kind, req.body.token);
    if (!info) throw new AppError('invalid_token');
    return info;
  });

  app.post(
    `${base}/invitations/accept`,
    {
      schema: {
        tags,
        body: z.object({ token: tokenSchema, password: passwordSchema, name: nameSchema.optional(), ...(kind === 'staff' ? { email: emailSchema.optional() } : {}) }),
      },
    },
    async (req) => {
      // Anonymous, and a live token costs a password hash: limited per IP like a password reset.
      await enforceRateLimit(ctx, `invitation:${kind}:${clientKey(req.ip)}`, ctx.config.rateLimitPasswordResetPerHour * 3, HOUR);
      const body = req.body as { token: string; password: string; name?: string; email?: string };
      const account = await acceptInvitation(ctx, kind, body, requestMeta(req));
      return { accepted: true, email: account.email };
    },
  );

  app.post(`${base}/email-change/confirm`, { schema: { tags, body: z.object({ token: tokenSchema }) } }, async (req) => {
    await accounts.confirmEmailChange(ctx, kind, req.body.token, requestMeta(req));
    return { changed: true };
  });

  // Profile of the signed-in person.
  app.get(me, { schema: { tags } }, async (req) => {
    const { account } = await requireSessionOf(ctx, req, kind);
    return presentAccount(account);
  });

  app.patch(me, { schema: { tags, body: z.object({ name: nameSchema }) } }, async (req) => {
    const { account } = await requireSessionOf(ctx, req, kind);
    await accounts.updateName(ctx, account, req.body.name);
    return presentAccount({ ...account, name: req.body.name.trim() });
  });

  app.post(`${me}/password`, { schema: { tags, body: z.object({ currentPassword: z.string().max(1024), newPassword: passwordSchema }) } }, async (req, reply) => {
    const { account, session } = await requireSessionOf(ctx, req, kind);
    await requireStepUpWhenEnrolled(ctx, session, account);
    const r = await accounts.changePassword(ctx, account, session, req.body.currentPassword, req.body.newPassword, requestMeta(req));
    // This browser's session carries on under its new id.
    setCookie(ctx, reply, sessionCookieName(kind), r.session.token);
    req.resolvedSessions = { ...req.resolvedSessions, [kind]: r.session.session };
    return { changed: true, sessionsRevoked: r.sessionsRevoked, csrfToken: issueCSRFToken(ctx, req, reply, kind, r.session.token) };
  });

  app.post(`${me}/email`, { schema: { tags, body: z.object({ email: emailSchema, password: z.string().max(1024) }) } }, async (req, reply) => {
    const { account, session } = await requireSessionOf(ctx, req, kind);
    // The email address receives recovery links: moving it is as sensitive as changing MFA.
    await requireStepUpWhenEnrolled(ctx, session, account);
    await accounts.requestEmailChange(ctx, account, req.body.email, req.body.password, requestMeta(req));
    reply.code(202);
    return { status: 'check_email' };
  });
}
