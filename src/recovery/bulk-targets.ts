import { sql } from 'kysely';
import type { Context, RequestMeta } from '../context.js';
import type { Executor } from '../db/index.js';
import { yieldToEventLoop } from '../db/sets.js';
import { generateID } from '../crypto/random.js';
import { AppError } from '../http/errors.js';
import { appendAuditEvent, type Actor } from '../audit/service.js';
import { templates } from '../notify/templates.js';
import { listStaff, normalizeEmail } from '../accounts/store.js';
import { mailboxKey } from '../accounts/mailbox.js';
import { actorInWords, holdActingAuthority } from '../sessions/api-tokens.js';
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
 * Contacts matched and frozen per transaction while a job is created. One statement over every
 * contact held SQLite's only connection, and the event loop, for the whole match (0.7 s at
 * 100,000 contacts, seconds at a million): the console froze for everyone. Chunks of this size
 * take a few milliseconds each, with the event loop free between them. PostgreSQL never holds
 * the event loop; its chunks are larger, for fewer round trips.
 */
export const TARGET_CHUNK = { sqlite: 2000, postgres: 25_000 } as const;
/** A job still 'preparing' this long after creation was abandoned (its instance stopped mid-way). */
const ABANDONED_AFTER_MS = 60 * 60_000;

interface TargetChunk {
  ids: string[];
  /** The same contacts as `ids`, in the same order, with their emails. */
  contacts: Array<{ id: string; email: string }>;
  /** Emails of this chunk that no contact has. */
  unknownEmails: string[];
  /** Contacts of this chunk's emails who have no active factor. */
  notEnrolled: number;
  /** Contacts of this chunk left out as the acting admin's own customer accounts. */
  ownLeftOut: number;
}

/**
 * Whose own customer accounts a bulk reset leaves out: no staff member runs MFA actions on
 * their own account (PRODUCT.md §4), and a bulk reset is no way around the single action's
 * refusal (recovery/routes.ts, refuseOwnAccount). The addresses of the acting admin, or of an
 * API token's owner and its maker; a contact at the same mailbox (sameMailbox: case, +tags,
 * Gmail's dots) is left out of the dry run's count and of the job.
 */
export type OwnMailboxes = string[];

function ownFilter(own: OwnMailboxes): (email: string) => boolean {
  if (!own.length) return () => false;
  const keys = new Set(own.map(mailboxKey));
  return (email) => keys.has(mailboxKey(email));
}

/**
 * The contacts a filter selects, in chunks in id order: those with at least one active factor
 * (a reset of anyone else changes nothing), narrowed by each filter given. Unknown emails are
 * reported, not fatal. The event loop runs between chunks.
 */
async function* targetChunks(db: Executor, filter: BulkFilter, size: number, own: OwnMailboxes): AsyncGenerator<TargetChunk> {
  const isOwn = ownFilter(own);
  const split = (rows: Array<{ id: string; email: string }>) => {
    const kept = rows.filter((r) => !isOwn(r.email));
    return { ids: kept.map((r) => r.id), contacts: kept, ownLeftOut: rows.length - kept.length };
  };
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
  if (filter.emails?.length) {
    const wanted = [...new Set(filter.emails.map(normalizeEmail).filter(Boolean))];
    for (let i = 0; i < wanted.length; i += BATCH) {
      const chunk = wanted.slice(i, i + BATCH);
      const found = new Set((await db.selectFrom('contacts').select('email').where('email', 'in', chunk).execute()).map((e) => e.email));
      const rows = await q.where('contacts.email', 'in', chunk).orderBy('contacts.id').execute();
      yield { ...split(rows), unknownEmails: chunk.filter((e) => !found.has(e)), notEnrolled: found.size - rows.length };
      await yieldToEventLoop();
    }
    return;
  }
  let after: string | null = null;
  for (;;) {
    const rows: Array<{ id: string; email: string }> = await (after === null ? q : q.where('contacts.id', '>', after)).orderBy('contacts.id').limit(size).execute();
    yield { ...split(rows), unknownEmails: [], notEnrolled: 0 };
    if (rows.length < size) return;
    after = rows[rows.length - 1].id;
    await yieldToEventLoop();
  }
}

function assertFilter(filter: BulkFilter): void {
  if (!filter.all && !filter.methods?.length && !filter.enrolledBefore && !filter.emails?.length) {
    throw new AppError('invalid_input', 'Give at least one filter: all, methods, enrolledBefore or emails');
  }
}

/**
 * What a job with this filter would reset: `matched` contacts (the job's total), a sample of
 * them, the emails no contact has, and `ownAccountsLeftOut`: contacts the filter selects that
 * are the acting admin's own customer accounts (see OwnMailboxes), not counted in `matched`.
 */
export async function dryRun(
  ctx: Context,
  filter: BulkFilter,
  own: OwnMailboxes = [],
): Promise<{ matched: number; unknownEmails: string[]; notEnrolled: number; ownAccountsLeftOut: number; sample: Array<{ id: string; email: string; name: string }> }> {
  assertFilter(filter);
  let matched = 0;
  let notEnrolled = 0;
  let ownAccountsLeftOut = 0;
  const unknownEmails: string[] = [];
  const sampleIDs: string[] = [];
  for await (const c of targetChunks(ctx.db, filter, TARGET_CHUNK[ctx.dialect], own)) {
    matched += c.ids.length;
    notEnrolled += c.notEnrolled;
    ownAccountsLeftOut += c.ownLeftOut;
    unknownEmails.push(...c.unknownEmails);
    sampleIDs.push(...c.ids.slice(0, 20 - sampleIDs.length));
  }
  const sample = sampleIDs.length ? await ctx.db.selectFrom('contacts').select(['id', 'email', 'name']).where('id', 'in', sampleIDs).execute() : [];
  return { matched, unknownEmails, notEnrolled, ownAccountsLeftOut, sample };
}

/**
 * Every contact a job with this filter would reset, a chunk at a time (id and email), by the
 * very selection the job freezes (targetChunks: enrolled only, unknown emails and the acting
 * admin's own customer accounts left out): the dry run's full list, which its sample only
 * begins. The filter is checked before the first chunk, so a bad one is refused before
 * anything is streamed.
 */
export function matchedContacts(ctx: Context, filter: BulkFilter, own: OwnMailboxes = []): AsyncGenerator<Array<{ id: string; email: string }>> {
  assertFilter(filter);
  return (async function* () {
    for await (const c of targetChunks(ctx.db, filter, TARGET_CHUNK[ctx.dialect], own)) if (c.contacts.length) yield c.contacts;
  })();
}

/**
 * Creates a job with its target list frozen at creation: contacts who enroll later are not
 * swept in, and the count the admin confirmed is the count that runs. Every admin is emailed.
 *
 * The job is written first as 'preparing', which nothing shows or runs; its targets are frozen
 * chunk by chunk, each chunk its own transaction with the event loop free in between (so the
 * console stays responsive even at a million contacts); then one transaction makes it 'queued'
 * with its audit entry and the admins' emails. A failure removes it; a job left 'preparing'
 * by a stopped instance is removed by discardAbandonedJobs.
 *
 * The acting admin's own customer accounts (`options.own`) are left out. The transaction that
 * queues the job first holds whoever started it (holdActingAuthority: an active admin; for a
 * token, not revoked, its owner and maker active admins): a deactivation or demotion racing the
 * creation comes wholly before it (refused, 403, and the job is removed) or after it (which
 * cancels the queued job, cancelBulkJobsStartedBy).
 */
export async function createBulkJob(
  ctx: Context,
  actor: Actor,
  input: { filter: BulkFilter; reason: string; requireEnrollment: boolean },
  meta: RequestMeta,
  options: { chunkSize?: number; own?: OwnMailboxes } = {},
): Promise<BulkJob> {
  assertFilter(input.filter);
  const now = ctx.clock.now();
  const id = generateID('job', now);
  await ctx.db
    .insertInto('bulk_jobs')
    .values({
      id,
      status: 'preparing',
      filter: JSON.stringify(input.filter),
      reason: input.reason,
      require_enrollment: input.requireEnrollment ? 1 : 0,
      actor_type: actor.type as 'staff' | 'token' | 'cli',
      actor_id: actor.id,
      total: 0,
      unknown_emails: '[]',
      created_at: now.toISOString(),
      started_at: null,
      finished_at: null,
      lease_owner: null,
      lease_until: null,
    })
    .execute();
  try {
    let total = 0;
    let ownAccountsLeftOut = 0;
    const unknownEmails: string[] = [];
    for await (const c of targetChunks(ctx.db, input.filter, options.chunkSize ?? TARGET_CHUNK[ctx.dialect], options.own ?? [])) {
      unknownEmails.push(...c.unknownEmails);
      ownAccountsLeftOut += c.ownLeftOut;
      if (!c.ids.length) continue;
      await ctx.db.transaction().execute(async (trx) => {
        for (let i = 0; i < c.ids.length; i += BATCH) {
          await trx
            .insertInto('bulk_job_items')
            .values(c.ids.slice(i, i + BATCH).map((contact_id) => ({ job_id: id, contact_id, status: 'pending' as const, error: null, finished_at: null })))
            .execute();
        }
      });
      total += c.ids.length;
    }
    await ctx.db.transaction().execute(async (trx) => {
      await holdActingAuthority(ctx, trx, actor, (role) => role === 'admin', 'start a bulk reset');
      const r = await trx.updateTable('bulk_jobs').set({ status: 'queued', total, unknown_emails: JSON.stringify(unknownEmails) }).where('id', '=', id).where('status', '=', 'preparing').executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw new Error(`bulk job ${id} vanished while its targets were frozen`);
      await appendAuditEvent(ctx, trx, {
        actor,
        action: 'mfa.bulk_reset.started',
        reason: input.reason,
        meta,
        details: { jobId: id, filter: input.filter, total, unknownEmails: unknownEmails.length, ownAccountsLeftOut, requireEnrollment: input.requireEnrollment, waitingPeriod: 'exempt (incident response)' },
      });
      const by = await actorInWords(trx, actor);
      for (const admin of (await listStaff(trx)).filter((s) => s.role === 'admin' && s.active)) {
        await ctx.mailer.enqueue(
          trx,
          templates.adminAlert(
            admin.email,
            `Bulk MFA reset started for ${total} contacts`,
            [`A bulk MFA reset of ${total} contacts was started by ${by}. Reason given: ${input.reason}`, 'Bulk resets are exempt from the waiting period. You can watch or cancel it in the console.'],
            { at: now, ...meta, actor: by },
          ),
        );
      }
    });
  } catch (error) {
    await removeJob(ctx.db, id).catch(() => undefined);
    throw error;
  }
  return (await getBulkJob(ctx, id))!;
}

async function removeJob(db: Executor, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const r = await trx.deleteFrom('bulk_jobs').where('id', '=', id).where('status', '=', 'preparing').executeTakeFirst();
    if (Number(r.numDeletedRows) === 1) await trx.deleteFrom('bulk_job_items').where('job_id', '=', id).execute();
  });
}

/** Removes jobs left 'preparing' by an instance that stopped while creating them; returns how many. */
export async function discardAbandonedJobs(ctx: Context): Promise<number> {
  const edge = new Date(ctx.clock.now().getTime() - ABANDONED_AFTER_MS).toISOString();
  const stale = await ctx.db.selectFrom('bulk_jobs').select('id').where('status', '=', 'preparing').where('created_at', '<', edge).execute();
  for (const j of stale) await removeJob(ctx.db, j.id);
  return stale.length;
}
