import { z } from 'zod';
import type { Context } from '../context.js';
import type { App } from '../http/types.js';
import { requireStaff } from '../http/guards.js';
import { requestMeta } from '../http/request-meta.js';
import { reasonSchema } from '../http/schemas.js';
import { appendAuditEvent } from '../audit/service.js';
import { getSettings, updateSettings } from './service.js';

export function registerSettingsRoutes(app: App, ctx: Context): void {
  // What the help center's pages need before anyone signs in.
  app.get('/api/v1/help-center', { schema: { tags: ['settings'], summary: 'Public help-center settings' } }, async () => {
    const s = await getSettings(ctx);
    return { allowSignup: s.allowSignup, mfaPolicy: s.policy, rememberDeviceDays: s.rememberDeviceDays };
  });

  app.get('/api/v1/settings/general', { schema: { tags: ['settings'] } }, async (req) => {
    await requireStaff(ctx, req, { minRole: 'admin' });
    const s = await getSettings(ctx);
    return { allowSignup: s.allowSignup };
  });

  app.put(
    '/api/v1/settings/general',
    { schema: { tags: ['settings'], body: z.object({ allowSignup: z.boolean(), reason: reasonSchema.optional() }) } },
    async (req) => {
      // Like the MFA settings: over a session, the admin's own second step first.
      const auth = await requireStaff(ctx, req, { minRole: 'admin', scope: 'settings:write', stepUp: true });
      const { after } = await ctx.db.transaction().execute(async (trx) => {
        const r = await updateSettings(ctx, trx, { allowSignup: req.body.allowSignup });
        await appendAuditEvent(ctx, trx, {
          actor: auth.actor,
          action: 'settings.general.changed',
          reason: req.body.reason ?? null,
          meta: requestMeta(req),
          details: { allowSignup: { from: r.before.allowSignup, to: r.after.allowSignup } },
        });
        return r;
      });
      return { allowSignup: after.allowSignup };
    },
  );
}
