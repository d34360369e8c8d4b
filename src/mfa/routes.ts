import { z } from 'zod';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyReply } from 'fastify';
import type { Context } from '../context.js';
import type { App } from '../http/types.js';
import { AppError } from '../http/errors.js';
import { COOKIES, sessionCookieName, setCookie } from '../http/cookies.js';
import { issueCSRFToken } from '../http/csrf.js';
import { requireSessionOf, requireStaff } from '../http/guards.js';
import { requestMeta } from '../http/request-meta.js';
import { listQuery, reasonSchema, seqCursor } from '../http/schemas.js';
import { appendAuditEvent, toAuditEvent } from '../audit/service.js';
import { STEP_UP_WINDOW, type NewSession, type SessionKind } from '../sessions/service.js';
import { getSettings, updateSettings, settingsSchema, type Settings } from '../settings/service.js';
import { listStaff as listStaffMembers } from '../accounts/store.js';
import { templates } from '../notify/templates.js';
import { useSetupLink, webauthnChallengeFor } from './sign-in.js';
import { stepUp, verifySecondStep } from './second-step.js';
import type { SecondFactorInput } from './factor-check.js';
import * as mfa from './service.js';
import { getMFAOverview } from './security-page.js';

const codeSchema = z.string().trim().min(1).max(64);
const webauthnResponse = z.record(z.string(), z.unknown());
const secondFactorSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('totp'), code: codeSchema }),
  z.object({ method: z.literal('recovery_code'), code: codeSchema }),
  z.object({ method: z.literal('temporary_code'), code: codeSchema }),
  z.object({ method: z.literal('webauthn'), response: webauthnResponse }),
]);
const verifySchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('totp'), code: codeSchema, rememberDevice: z.boolean().optional() }),
  z.object({ method: z.literal('recovery_code'), code: codeSchema, rememberDevice: z.boolean().optional() }),
  z.object({ method: z.literal('temporary_code'), code: codeSchema, rememberDevice: z.boolean().optional() }),
  z.object({ method: z.literal('webauthn'), response: webauthnResponse, rememberDevice: z.boolean().optional() }),
]);
const nameSchema = z.string().trim().min(1).max(100);
const factorParams = z.object({ id: z.string().max(100) });

function asInput(body: z.infer<typeof secondFactorSchema>): SecondFactorInput {
  return body.method === 'webauthn' ? { method: 'webauthn', response: body.response as unknown as AuthenticationResponseJSON } : body;
}

/**
 * What every admin is told of an MFA settings change: a policy change, and each weakened
 * defence of the staff toolkit (PRODUCT.md §4). Empty when there is nothing to tell.
 */
function settingsAlerts(before: Settings, after: Settings): string[] {
  const alerts: string[] = [];
  if (before.policy !== after.policy) alerts.push(`The MFA policy went from "${before.policy}" to "${after.policy}".`);
  if (after.waitingPeriodHours < before.waitingPeriodHours) {
    alerts.push(`The waiting period before staff MFA changes take effect went from ${before.waitingPeriodHours} to ${after.waitingPeriodHours} hours.`);
  }
  if (before.requireEmailVerification && !after.requireEmailVerification) alerts.push('Staff no longer need a confirmed email identity check before acting on a customer with factors.');
  // A remembered browser skips the second step: remembering longer, or at all, weakens it.
  if (after.rememberDeviceDays > before.rememberDeviceDays) {
    alerts.push(
      before.rememberDeviceDays === 0
        ? `Browsers can now be remembered, skipping the second step for ${after.rememberDeviceDays} days.`
        : `Remembered browsers now skip the second step for ${after.rememberDeviceDays} days instead of ${before.rememberDeviceDays}.`,
    );
  }
  return alerts;
}

/** MFA endpoints of one kind of person: the sign-in second step, step-up, and self-service. */
export function registerMFARoutes(app: App, ctx: Context, kind: SessionKind): void {
  const auth = kind === 'contact' ? '/api/v1/auth' : '/api/v1/staff-auth';
  const me = kind === 'contact' ? '/api/v1/me' : '/api/v1/staff-me';
  const tags = [kind === 'contact' ? 'customer MFA' : 'staff MFA'];

  function renewed(reply: FastifyReply, req: Parameters<typeof issueCSRFToken>[1], s: NewSession) {
    setCookie(ctx, reply, sessionCookieName(kind), s.token);
    req.resolvedSessions = { ...req.resolvedSessions, [kind]: s.session };
    return issueCSRFToken(ctx, req, reply, kind, s.token);
  }

  /** A factor just added (API.md: the factor), the first with its recovery codes; from enrollment, a full session. */
  function enrolled(reply: FastifyReply, req: Parameters<typeof issueCSRFToken>[1], r: { factor: object; recoveryCodes?: string[]; session?: NewSession | null }) {
    return { ...r.factor, ...(r.recoveryCodes ? { recoveryCodes: r.recoveryCodes } : {}), ...(r.session ? { state: 'authenticated', csrfToken: renewed(reply, req, r.session) } : {}) };
  }

  // ---- the second step of a sign-in
  app.post(`${auth}/mfa/verify`, { schema: { tags, summary: 'Pass the second step of a pending sign-in', body: verifySchema } }, async (req, reply) => {
    const { session, account } = await requireSessionOf(ctx, req, kind, ['mfa']);
    const { rememberDevice, ...rest } = req.body;
    const outcome = await verifySecondStep(ctx, session, account, { ...asInput(rest), rememberDevice }, requestMeta(req));
    const csrfToken = renewed(reply, req, outcome.session);
    if (outcome.rememberCookie) setCookie(ctx, reply, COOKIES.remember, outcome.rememberCookie.token, outcome.rememberCookie.maxAgeSeconds);
    return { state: outcome.state, csrfToken };
  });

  app.post(`${auth}/mfa/webauthn/options`, { schema: { tags, summary: 'Passkey request options for the pending sign-in' } }, async (req) => {
    const { session, account } = await requireSessionOf(ctx, req, kind, ['mfa']);
    return webauthnChallengeFor(ctx, session, account, 'sign_in');
  });

  app.post(`${auth}/setup-link`, { schema: { tags, summary: 'Use the emailed setup link in a pending sign-in', body: z.object({ token: z.string().min(1).max(256) }) } }, async (req, reply) => {
    const { session, account } = await requireSessionOf(ctx, req, kind, ['mfa']);
    const s = await useSetupLink(ctx, session, account, req.body.token, requestMeta(req));
    return { state: 'enrollment_required', csrfToken: renewed(reply, req, s) };
  });

  // ---- step-up
  // Passing it renews the session id: the answer sets the new cookie and carries its CSRF token.
  app.post(`${auth}/step-up`, { schema: { tags, summary: 'Confirm the second factor again (valid 5 minutes; renews the session id)', body: secondFactorSchema } }, async (req, reply) => {
    const { session, account } = await requireSessionOf(ctx, req, kind);
    const s = await stepUp(ctx, session, account, asInput(req.body), requestMeta(req));
    return { stepUp: true, validUntil: new Date(new Date(s.session.stepUpAt!).getTime() + STEP_UP_WINDOW).toISOString(), csrfToken: renewed(reply, req, s) };
  });

  app.post(`${auth}/step-up/webauthn/options`, { schema: { tags } }, async (req) => {
    const { session, account } = await requireSessionOf(ctx, req, kind);
    return webauthnChallengeFor(ctx, session, account, 'step_up');
  });

  // ---- self-service
  app.get(`${me}/mfa`, { schema: { tags } }, async (req) => {
    const { account } = await requireSessionOf(ctx, req, kind, ['full', 'enrollment']);
    const o = await getMFAOverview(ctx, account);
    return { enrolled: o.enrolled, enrollmentRequired: o.enrollmentRequired, factors: o.factors, recoveryCodesLeft: o.recoveryCodesLeft, rememberedDevices: o.rememberedDevices };
  });

  app.post(`${me}/mfa/totp`, { schema: { tags, summary: 'Start adding an authenticator app' } }, async (req, reply) => {
    const { session, account } = await requireSessionOf(ctx, req, kind, ['full', 'enrollment']);
    reply.code(201);
    return mfa.beginTOTPEnrollment(ctx, session, account);
  });

  app.post(
    `${me}/mfa/totp/:factorId/confirm`,
    { schema: { tags, params: z.object({ factorId: z.string().max(100) }), body: z.object({ code: codeSchema, name: nameSchema.optional() }) } },
    async (req, reply) => {
      const { session, account } = await requireSessionOf(ctx, req, kind, ['full', 'enrollment']);
      const r = await mfa.confirmTOTPEnrollment(ctx, session, account, req.params.factorId, req.body.code, req.body.name, requestMeta(req));
      return enrolled(reply, req, r);
    },
  );

  app.post(`${me}/mfa/webauthn/options`, { schema: { tags, summary: 'Passkey creation options' } }, async (req) => {
    const { session, account } = await requireSessionOf(ctx, req, kind, ['full', 'enrollment']);
    return mfa.beginWebAuthnRegistration(ctx, session, account);
  });

  app.post(`${me}/mfa/webauthn`, { schema: { tags, body: z.object({ response: webauthnResponse, name: nameSchema.optional() }) } }, async (req, reply) => {
    const { session, account } = await requireSessionOf(ctx, req, kind, ['full', 'enrollment']);
    const r = await mfa.finishWebAuthnRegistration(ctx, session, account, req.body.response as unknown as RegistrationResponseJSON, req.body.name, requestMeta(req));
    reply.code(201);
    return enrolled(reply, req, r);
  });

  app.patch(`${me}/mfa/factors/:id`, { schema: { tags, params: factorParams, body: z.object({ name: nameSchema }) } }, async (req) => {
    const { account } = await requireSessionOf(ctx, req, kind);
    return mfa.renameMyFactor(ctx, account, req.params.id, req.body.name);
  });

  app.delete(`${me}/mfa/factors/:id`, { schema: { tags, params: factorParams } }, async (req, reply) => {
    const { session, account } = await requireSessionOf(ctx, req, kind);
    await mfa.removeMyFactor(ctx, session, account, req.params.id, requestMeta(req));
    reply.code(204).send();
  });

  app.post(`${me}/mfa/recovery-codes`, { schema: { tags, summary: 'Replace the recovery codes with a new set' } }, async (req, reply) => {
    const { session, account } = await requireSessionOf(ctx, req, kind);
    const codes = await mfa.regenerateMyRecoveryCodes(ctx, session, account, requestMeta(req));
    reply.code(201);
    return { codes };
  });

  app.delete(`${me}/mfa/remembered-devices/:id`, { schema: { tags, params: factorParams } }, async (req, reply) => {
    const { account } = await requireSessionOf(ctx, req, kind);
    await mfa.forgetMyDevice(ctx, account, req.params.id, requestMeta(req));
    reply.code(204).send();
  });

  app.get(`${me}/security-events`, { schema: { tags, summary: 'Recent security activity on my account, newest first; keyset-paged', querystring: z.object(listQuery) } }, async (req) => {
    const { account } = await requireSessionOf(ctx, req, kind);
    const column = kind === 'contact' ? 'contact_id' : 'staff_id';
    const before = seqCursor(req.query.cursor);
    let q = ctx.db.selectFrom('audit_events').selectAll().where(column, '=', account.id);
    if (before !== undefined) q = q.where('seq', '<', before);
    const rows = await q.orderBy('seq', 'desc').limit(req.query.limit + 1).execute();
    const page = rows.slice(0, req.query.limit);
    return {
      items: page.map((r) => {
        const e = toAuditEvent(r);
        // A person sees what happened and from where, not staff notes.
        return { id: e.id, at: e.at, action: e.action, actor: { type: e.actor.type }, ip: e.ip, userAgent: e.userAgent };
      }),
      nextCursor: rows.length > req.query.limit ? String(page[page.length - 1].seq) : null,
    };
  });
}

/** GET/PUT /settings/mfa: policy, remembered devices, waiting period, identity checks. */
export function registerMFASettingsRoutes(app: App, ctx: Context): void {
  const tags = ['settings'];
  // Any staff member, by session or by a token of any scope (API.md names a scope for PUT only):
  // an admin's token made to keep the settings in line (settings:write) reads them too.
  app.get('/api/v1/settings/mfa', { schema: { tags } }, async (req) => {
    await requireStaff(ctx, req);
    const { allowSignup: _unused, ...rest } = await getSettings(ctx);
    return rest;
  });

  app.put(
    '/api/v1/settings/mfa',
    {
      schema: {
        tags,
        body: settingsSchema
          .pick({ policy: true, rememberDeviceDays: true, waitingPeriodHours: true, requireEmailVerification: true })
          .partial()
          .extend({ reason: reasonSchema }),
      },
    },
    async (req) => {
      const actor = await requireStaff(ctx, req, { minRole: 'admin', scope: 'settings:write', stepUp: true });
      const { reason, ...change } = req.body;
      if (Object.keys(change).length === 0) throw new AppError('invalid_input', 'Change at least one setting');
      const meta = requestMeta(req);
      const after = await ctx.db.transaction().execute(async (trx) => {
        const r = await updateSettings(ctx, trx, change);
        const diff: Record<string, { from: unknown; to: unknown }> = {};
        for (const k of Object.keys(change) as Array<keyof typeof change>) if (r.before[k] !== r.after[k]) diff[k] = { from: r.before[k], to: r.after[k] };
        await appendAuditEvent(ctx, trx, { actor: actor.actor, action: 'settings.mfa.changed', reason, meta, details: { ...diff, ...r.effects } });
        // Every admin hears of a policy change, and of any weakening of the help desk's defences
        // against callers posing as customers (the waiting period shortened, the emailed identity
        // check no longer required), so a single compromised admin cannot quietly weaken them.
        const alerts = settingsAlerts(r.before, r.after);
        if (alerts.length > 0) {
          const subject = diff.policy ? `MFA policy changed to "${r.after.policy}"` : 'Help-desk safeguards weakened';
          // Read through the transaction: on SQLite another connection would wait for it forever.
          const admins = (await listStaffMembers(trx)).filter((s) => s.role === 'admin' && s.active);
          for (const a of admins) {
            await ctx.mailer.enqueue(
              trx,
              templates.adminAlert(a.email, subject, [`${actor.account.name} changed the help center's MFA settings:`, ...alerts, `Reason given: ${reason}`], {
                at: ctx.clock.now(),
                ...meta,
                actor: actor.account.name,
              }),
            );
          }
        }
        return r.after;
      });
      const { allowSignup: _unused, ...rest } = after;
      return rest;
    },
  );
}
