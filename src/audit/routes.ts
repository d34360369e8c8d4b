import { Readable } from 'node:stream';
import { z } from 'zod';
import { sql } from 'kysely';
import type { Context } from '../context.js';
import type { App } from '../http/types.js';
import { requireStaff } from '../http/guards.js';
import { isoInstantSchema, listQuery, seqCursor } from '../http/schemas.js';
import type { Executor } from '../db/index.js';
import { toAuditEvent, verifyAuditChain, type ActorType } from './service.js';
import { ACTOR_TYPES, AUDIT_ACTIONS } from './actions.js';
import { CSV_COLUMNS, csvRow } from './export.js';

const filterSchema = {
  contactId: z.string().max(100).optional(),
  staffId: z.string().max(100).optional(),
  /** Who acted: a kind of actor, and (optionally) which one, e.g. an API token's `tok_` id. */
  actorType: z.enum(ACTOR_TYPES).optional(),
  actorId: z.string().max(100).optional(),
  // One of the action names Portico writes (listed here, so in the OpenAPI document), or a
  // family of them: `mfa.*`.
  action: z
    .union([z.enum(AUDIT_ACTIONS), z.string().regex(/^[a-z_]+(\.[a-z_]+)*\.\*$/, 'must be an audit action name or a family such as mfa.*')])
    .optional(),
  since: isoInstantSchema.optional(),
  until: isoInstantSchema.optional(),
};
type Filter = { contactId?: string; staffId?: string; actorType?: ActorType; actorId?: string; action?: string; since?: string; until?: string };

/** The condition of the index by actor, word for word, so that both engines see they may use it. */
const notByContact = sql<boolean>`actor_type <> 'contact'`;

export function filtered(db: Executor, f: Filter) {
  let q = db.selectFrom('audit_events').selectAll();
  if (f.contactId) q = q.where('contact_id', '=', f.contactId);
  // The index by actor holds no event of a contact's (migration 010): a contact's own acts are
  // found through the index by contact, whose id every such event carries as its contact_id.
  if (f.staffId) q = q.where((eb) => eb.or([eb.and([notByContact, eb('actor_id', '=', f.staffId!)]), eb('staff_id', '=', f.staffId!)]));
  if (f.actorType) q = q.where('actor_type', '=', f.actorType);
  if (f.actorId) {
    q = f.actorId.startsWith('ct_')
      ? q.where('contact_id', '=', f.actorId).where('actor_type', '=', 'contact').where('actor_id', '=', f.actorId)
      : q.where(notByContact).where('actor_id', '=', f.actorId);
  }
  if (f.action) q = f.action.endsWith('.*') ? q.where('action', 'like', `${f.action.slice(0, -1)}%`) : q.where('action', '=', f.action);
  if (f.since) q = q.where('at', '>=', new Date(f.since).toISOString());
  if (f.until) q = q.where('at', '<=', new Date(f.until).toISOString());
  return q;
}

/** The audit log: filtered list, streamed export (CSV, NDJSON), and chain verification. */
export function registerAuditRoutes(app: App, ctx: Context): void {
  const tags = ['audit'];
  app.get('/api/v1/audit-events', { schema: { tags, querystring: z.object({ ...filterSchema, ...listQuery }) } }, async (req) => {
    await requireStaff(ctx, req, { scope: 'audit:read' });
    const { limit, cursor, ...f } = req.query;
    const before = seqCursor(cursor);
    let q = filtered(ctx.db, f);
    if (before !== undefined) q = q.where('seq', '<', before);
    const rows = await q.orderBy('seq', 'desc').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    return { items: page.map(toAuditEvent), nextCursor: rows.length > limit ? String(page[page.length - 1].seq) : null };
  });

  app.get(
    '/api/v1/audit-events/export',
    { schema: { tags, querystring: z.object({ format: z.enum(['csv', 'ndjson']).default('ndjson'), ...filterSchema }) } },
    async (req, reply) => {
      await requireStaff(ctx, req, { minRole: 'admin', scope: 'audit:read' });
      const { format, ...f } = req.query;
      // Pages of 1000 in log order: a million events stream without sitting in memory.
      async function* lines(): AsyncGenerator<string> {
        if (format === 'csv') yield CSV_COLUMNS.join(',') + '\r\n';
        let after = 0;
        for (;;) {
          const rows = await filtered(ctx.db, f).where('seq', '>', after).orderBy('seq').limit(1000).execute();
          let chunk = '';
          for (const r of rows) chunk += format === 'csv' ? csvRow(toAuditEvent(r)) : JSON.stringify(toAuditEvent(r)) + '\n';
          if (chunk) yield chunk;
          if (rows.length < 1000) return;
          after = Number(rows[rows.length - 1].seq);
        }
      }
      const stamp = ctx.clock.now().toISOString().slice(0, 10);
      reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
        .header('content-disposition', `attachment; filename="portico-audit-${stamp}.${format === 'csv' ? 'csv' : 'ndjson'}"`);
      return reply.send(Readable.from(lines()));
    },
  );

  app.get('/api/v1/audit-events/verify', { schema: { tags } }, async (req) => {
    await requireStaff(ctx, req, { scope: 'audit:read' });
    const r = await verifyAuditChain(ctx);
    return { ok: r.ok, checked: r.checked, headHash: r.headHash, ...(r.firstBrokenId ? { firstBrokenId: r.firstBrokenId } : {}), ...(r.problem ? { problem: r.problem } : {}) };
  });
}
