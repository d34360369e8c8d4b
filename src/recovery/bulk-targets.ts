import { sql } from 'kysely';
import type { Context, RequestMeta } from '../context.js';
import type { Executor } from '../db/index.js';
import { generateID } from '../crypto/random.js';
import { AppError } from '../http/errors.js';
import { appendAuditEvent, type Actor } from '../audit/service.js';
import { templates } from '../notify/templates.js';
import { listStaff, normalizeEmail } from '../accounts/store.js';
import { getBulkJob, type BulkJob } from './bulk.js';

/**
 * A bulk reset's targets: which contacts a filter selects (the dry run shows them), and the
 * job that freezes them. The job's work is in bulk.ts.
 */

/** Which contacts a bulk reset targets (filters combine with AND; at least one). */
export interface BulkFilter {
  all?: boolean;
  methods?: Array<'totp' | 'webauthn'>;
  enrolledBefore?: string;
  emails?: string[];
}

const BATCH = 500;

/**
 * The contacts a filter selects: those with at least one active factor (a reset of anyone else
 * changes nothing), narrowed by each filter given. Unknown emails are reported, not fatal.
 */
export async function matchContacts(ctx: Context, db: Executor, filter: BulkFilter): Promise<{ ids: string[]; unknownEmails: string[]; notEnrolled: number }> {
  if (!filter.all && !filter.methods?.length && !filter.enrolledBefore && !filter.emails?.length) {
    throw new AppError('invalid_input', 'Give at least one filter: all, methods, enrolledBefore or emails');
  }
  let q = db
    .selectFrom('contacts')
    .select(['contacts.id', 'contacts.email'])
    .where(sql<boolean>`EXISTS (SELECT 1 FROM mfa_factors f WHERE f.owner_kind = 'contact' AND f.owner_id = contacts.id AND f.status = 'active')`);
  if (filter.methods?.length) {
    q = q.where(
      sql<boolean>`EXISTS (SELECT 1 FROM mfa_factors f WHERE f.owner_kind = 'contact' AND f.owner_id = contacts.id AND f.status = 'active' AND f.type IN (${sql.join(filter.methods)}))`,
    );
  }
  if (filter.enrolledBefore) {
    const before = new Date(filter.enrolledBefore).toISOString();
    q = q.where(sql<boolean>`(SELECT MIN(f.created_at) FROM mfa_factors f WHERE f.owner_kind = 'contact' AND f.owner_id = contacts.id AND f.status = 'active') < ${before}`);
  }
  const unknownEmails: string[] = [];
  let notEnrolled = 0;
  if (filter.emails?.length) {
    const wanted = [...new Set(filter.emails.map(normalizeEmail).filter(Boolean))];
    const found = new Set<string>();
    const ids: string[] = [];
    for (let i = 0; i < wanted.length; i += BATCH) {
      const chunk = wanted.slice(i, i + BATCH);
      const existing = await db.selectFrom('contacts').select('email').where('email', 'in', chunk).execute();
      for (const e of existing) found.add(e.email);
      const rows = await q.where('contacts.email', 'in', chunk).orderBy('contacts.id').execute();
      ids.push(...rows.map((r) => r.id));
    }
    for (const e of wanted) if (!found.has(e)) unknownEmails.push(e);
    notEnrolled = found.size - ids.length;
    return { ids, unknownEmails, notEnrolled };
  }
  const rows = await q.orderBy('contacts.id').execute();
  return { ids: rows.map((r) => r.id), unknownEmails, notEnrolled };
}

export async function dryRun(ctx: Context, filter: BulkFilter): Promise<{ matched: number; unknownEmails: string[]; notEnrolled: number; sample: Array<{ id: string; email: string; name: string }> }> {
  const m = await matchContacts(ctx, ctx.db, filter);
  const sampleIDs = m.ids.slice(0, 20);
  const sample = sampleIDs.length ? await ctx.db.selectFrom('contacts').select(['id', 'email', 'name']).where('id', 'in', sampleIDs).execute() : [];
  return { matched: m.ids.length, unknownEmails: m.unknownEmails, notEnrolled: m.notEnrolled, sample };
}

/**
 * Creates a job with its target list frozen now: contacts who enroll later are not swept in,
 * and the count the admin confirmed is the count that runs. Every admin is emailed.
 */
export async function createBulkJob(ctx: Context, actor: Actor, input: { filter: BulkFilter; reason: string; requireEnrollment: boolean }, meta: RequestMeta): Promise<BulkJob> {
  const now = ctx.clock.now();
  const id = generateID('job', now);
  await ctx.db.transaction().execute(async (trx) => {
    const m = await matchContacts(ctx, trx, input.filter);
    await trx
      .insertInto('bulk_jobs')
      .values({
        id,
        status: 'queued',
        filter: JSON.stringify(input.filter),
        reason: input.reason,
        require_enrollment: input.requireEnrollment ? 1 : 0,
        actor_type: actor.type as 'staff' | 'token' | 'cli',
        actor_id: actor.id,
        total: m.ids.length,
        unknown_emails: JSON.stringify(m.unknownEmails),
        created_at: now.toISOString(),
        started_at: null,
        finished_at: null,
        lease_owner: null,
        lease_until: null,
      })
      .execute();
    for (let i = 0; i < m.ids.length; i += BATCH) {
      await trx
        .insertInto('bulk_job_items')
        .values(m.ids.slice(i, i + BATCH).map((contact_id) => ({ job_id: id, contact_id, status: 'pending' as const, error: null, finished_at: null })))
        .execute();
    }
    await appendAuditEvent(ctx, trx, {
      actor,
      action: 'mfa.bulk_reset.started',
      reason: input.reason,
      meta,
      details: { jobId: id, filter: input.filter, total: m.ids.length, unknownEmails: m.unknownEmails.length, requireEnrollment: input.requireEnrollment, waitingPeriod: 'exempt (incident response)' },
    });
    for (const admin of (await listStaff(trx)).filter((s) => s.role === 'admin' && s.active)) {
      await ctx.mailer.enqueue(
        trx,
        templates.securityNotice(
          admin.email,
          `Bulk MFA reset started for ${m.ids.length} contacts`,
          [`A bulk MFA reset of ${m.ids.length} contacts was started. Reason given: ${input.reason}`, 'Bulk resets are exempt from the waiting period. You can watch or cancel it in the console.'],
          { at: now, ...meta, actor: actor.type === 'cli' ? 'an operator (CLI)' : 'an admin' },
        ),
      );
    }
  });
  return (await getBulkJob(ctx, id))!;
}

