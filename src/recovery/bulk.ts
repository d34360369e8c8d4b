import { randomBytes } from 'node:crypto';
import { sql, type Insertable, type RawBuilder, type Selectable } from 'kysely';
import type { Context, RequestMeta } from '../context.js';
import type { BulkFilter } from './bulk-targets.js';
import type { Executor } from '../db/index.js';
import type { BulkJobsTable, Dialect, OutboxTable } from '../db/types.js';
import { inSet, insertSet, yieldToEventLoop } from '../db/sets.js';
import { generateID } from '../crypto/random.js';
import { AppError } from '../http/errors.js';
import { idCursor, seqCursor } from '../http/schemas.js';
import { appendAuditEvent, appendAuditEvents, type Actor, type AuditEntry } from '../audit/service.js';
import { RESET_NOTICE_SUBJECT } from './service.js';
import { bulkResetNotice } from './bulk-notice.js';
import { actedUnder } from './ended-authority.js';
import { runDuePendingActions } from './pending-actions.js';
import { REVOKED } from '../sessions/store.js';
import { holdSettings } from '../settings/service.js';

export interface BulkJob {
  id: string;
  status: BulkJobsTable['status'];
  total: number;
  done: number;
  failed: number;
  unknownEmails: string[];
  reason: string;
  requireEnrollment: boolean;
  filter: BulkFilter;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Resets a second since the job started, and the estimated seconds left. */
  ratePerSecond: number | null;
  secondsLeft: number | null;
}

/**
 * Contacts reset per transaction. SQLite has one connection: while a batch holds it, the
 * console's queries wait, so its batches are small (tens of milliseconds) and the runner
 * yields between them. PostgreSQL serves the console from other pool connections.
 */
export const RESET_BATCH = { sqlite: 500, postgres: 5000 } as const;
/** Tries of one contact's reset, after its batch failed, before the contact is marked failed. */
const BATCH_RETRIES = 3;

/** An error's message for the log and the item's record (never a stack). */
function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * When a job claimed or renewed now stops being claimed without a renewal: the configured
 * PORTICO_JOB_LEASE_SECONDS (validated with the rest of the configuration, `.env` included).
 */
function leaseUntil(ctx: Context): string {
  return new Date(ctx.clock.now().getTime() + ctx.config.jobLeaseSeconds * 1000).toISOString();
}

function present(ctx: Context, r: Selectable<BulkJobsTable>): BulkJob {
  const processed = Number(r.done) + Number(r.failed);
  const elapsed = r.started_at ? ((r.finished_at ? new Date(r.finished_at) : ctx.clock.now()).getTime() - new Date(r.started_at).getTime()) / 1000 : 0;
  const rate = r.started_at && elapsed > 0 && processed > 0 ? processed / elapsed : null;
  return {
    id: r.id,
    status: r.status,
    total: Number(r.total),
    done: Number(r.done),
    failed: Number(r.failed),
    unknownEmails: JSON.parse(r.unknown_emails),
    reason: r.reason,
    requireEnrollment: r.require_enrollment === 1,
    filter: JSON.parse(r.filter),
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    ratePerSecond: rate === null ? null : Math.round(rate * 10) / 10,
    secondsLeft: rate && r.status === 'running' ? Math.ceil((Number(r.total) - processed) / rate) : null,
  };
}

export async function getBulkJob(ctx: Context, id: string): Promise<BulkJob | null> {
  const r = await ctx.db.selectFrom('bulk_jobs').selectAll().where('id', '=', id).where('status', '!=', 'preparing').executeTakeFirst();
  return r ? present(ctx, r) : null;
}

/**
 * `GET /mfa/bulk-resets`: a page of jobs, newest first, keyset-paged on their time-sortable
 * ids (id order is creation order); the cursor is the id of the last job of the page before.
 */
export async function listBulkJobs(ctx: Context, page: { limit: number; cursor?: string }): Promise<{ items: BulkJob[]; nextCursor: string | null }> {
  const before = idCursor('job', page.cursor);
  let q = ctx.db.selectFrom('bulk_jobs').selectAll().where('status', '!=', 'preparing');
  if (before) q = q.where('id', '<', before);
  const rows = await q.orderBy('id', 'desc').limit(page.limit + 1).execute();
  const items = rows.slice(0, page.limit).map((r) => present(ctx, r));
  return { items, nextCursor: rows.length > page.limit ? items[items.length - 1].id : null };
}

/** One contact a job could not reset (`GET /mfa/bulk-resets/{id}/failures`). */
export interface BulkJobFailure {
  contactId: string;
  /** Null when the contact no longer exists. */
  email: string | null;
  /** Why, in words for an admin (failureMessage); never the database's own text. */
  error: string;
  /** When the job gave up on the contact. */
  at: string | null;
}

/** What an item's stored error says, when the contact was gone as its batch ran (resetBatch). */
const CONTACT_GONE = 'contact no longer exists';

/**
 * The admin's words for why a contact's reset failed. An item keeps the raw error of its last
 * try (markNextFailed: the database's message, which may quote SQL, a constraint or a table);
 * that stays in the server log and the row for whoever investigates, and is never shown.
 */
export function failureMessage(stored: string | null): string {
  const raw = (stored ?? '').trim();
  if (!raw) return 'The reset failed; no reason was recorded. Their two-step verification was left as it was.';
  if (raw === CONTACT_GONE) return 'The contact was deleted before the job reached them; there was nothing left to reset.';
  // Whole words: "block", "clock" or a column such as locked_until say nothing of contention.
  if (/\b(deadlock|lock|locked|busy)\b|timeout|timed out|serializ|could not obtain|canceling statement/i.test(raw)) {
    return `Other activity on this contact's account kept it busy on all ${BATCH_RETRIES} tries; their two-step verification was left as it was. Reset it from their contact page.`;
  }
  if (/connect|connection|terminat|ECONN|shutdown|too many clients/i.test(raw)) {
    return `The database could not be reached on all ${BATCH_RETRIES} tries; their two-step verification was left as it was. Reset it from their contact page.`;
  }
  return `The database refused this contact's reset on all ${BATCH_RETRIES} tries; their two-step verification was left as it was. Reset it from their contact page; the server log has the technical details.`;
}

/**
 * `GET /mfa/bulk-resets/{id}/failures`: the contacts a job could not reset, in the job's order
 * (the order it reached them), keyset-paged on the items' sequence; the cursor is the `seq` of
 * the last item of the page before. Null when no job has this id.
 */
export async function listBulkJobFailures(ctx: Context, jobID: string, page: { limit: number; cursor?: string }): Promise<{ items: BulkJobFailure[]; nextCursor: string | null } | null> {
  const after = seqCursor(page.cursor);
  const job = await ctx.db.selectFrom('bulk_jobs').select('id').where('id', '=', jobID).where('status', '!=', 'preparing').executeTakeFirst();
  if (!job) return null;
  let q = ctx.db
    .selectFrom('bulk_job_items as i')
    .leftJoin('contacts as c', 'c.id', 'i.contact_id')
    .select(['i.seq', 'i.contact_id', 'i.error', 'i.finished_at', 'c.email'])
    .where('i.job_id', '=', jobID)
    .where('i.status', '=', 'failed');
  if (after !== undefined) q = q.where('i.seq', '>', after);
  const rows = await q.orderBy('i.seq').limit(page.limit + 1).execute();
  const shown = rows.slice(0, page.limit);
  return {
    items: shown.map((r) => ({ contactId: r.contact_id, email: r.email ?? null, error: failureMessage(r.error), at: r.finished_at })),
    nextCursor: rows.length > page.limit ? String(shown[shown.length - 1].seq) : null,
  };
}

/** Cancels a queued or running job; what was reset stays reset. */
export async function cancelBulkJob(ctx: Context, actor: Actor, id: string, meta: RequestMeta): Promise<BulkJob> {
  await ctx.db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('bulk_jobs')
      .set({ status: 'cancelled', finished_at: ctx.clock.now().toISOString(), lease_owner: null, lease_until: null })
      .where('id', '=', id)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) {
      const exists = await trx.selectFrom('bulk_jobs').select('status').where('id', '=', id).where('status', '!=', 'preparing').executeTakeFirst();
      if (!exists) throw new AppError('not_found', 'No bulk job has this id');
      throw new AppError('conflict', `The job is already ${exists.status}`);
    }
    await appendAuditEvent(ctx, trx, { actor, action: 'mfa.bulk_reset.cancelled', meta, details: { jobId: id } });
  });
  return (await getBulkJob(ctx, id))!;
}

/**
 * Cancels the bulk resets still queued or running that were started by an authority that
 * ended: a staff member in person or through an API token they own or made (deactivated, or no
 * longer an admin), or one revoked token. A bulk reset is an admin's act; it must not go on
 * resetting customers on the authority of someone who no longer has it. Each job by one
 * conditional write (the runner's next batch finds it cancelled and stops, what ran stays
 * done), with an audit entry saying why. Runs in the caller's transaction; returns how many.
 */
export async function cancelBulkJobsStartedBy(ctx: Context, trx: Executor, by: { staffID: string | null; tokenIDs: string[] }, why: string, meta: RequestMeta, audit: AuditEntry[]): Promise<number> {
  if (by.staffID === null && !by.tokenIDs.length) return 0;
  const jobs = await trx
    .updateTable('bulk_jobs')
    .set({ status: 'cancelled', finished_at: ctx.clock.now().toISOString(), lease_owner: null, lease_until: null })
    .where('status', 'in', ['queued', 'running'])
    .where(actedUnder(by))
    .returning(['id', 'actor_type', 'actor_id', 'total', 'done', 'failed'])
    .execute();
  // Appended by the caller, last (see ended-authority.ts).
  for (const job of jobs) {
    audit.push({
      actor: { type: 'system', id: null },
      action: 'mfa.bulk_reset.cancelled',
      reason: why,
      meta,
      details: { jobId: job.id, startedBy: { type: job.actor_type, id: job.actor_id }, total: Number(job.total), done: Number(job.done), failed: Number(job.failed) },
    });
  }
  return jobs.length;
}

/**
 * Removes a batch's rows of one owner-keyed table and returns how many `live` ones each contact
 * had, for the audit entries. On SQLite, sessions and remembered devices are revoked (an
 * `expires_at` in the past; see resetBatch) and factors and recovery codes deleted, after one
 * grouped count: a million recovery codes coming back as rows from DELETE … RETURNING cost more
 * than deleting them (1.1 s of a 100,000-contact job); the batch has held SQLite's only write
 * lock since its first statement, so nothing changes in between. PostgreSQL deletes every one and counts the
 * RETURNING rows: there a delete only marks a row (vacuum tidies its index entries later), where
 * an update writes a new row version and new entries in every index (10,000 sessions took
 * ~190 ms to revoke, against ~60 ms to delete).
 */
async function removePerContact(
  trx: Executor,
  d: Dialect,
  t: { table: 'mfa_factors' | 'recovery_codes' | 'remembered_devices' | 'sessions'; kind: string; owner: string },
  ids: string[],
  live: RawBuilder<unknown>,
  sqliteAction: 'delete' | 'revoke',
): Promise<Map<string, number>> {
  const where = sql`${sql.ref(t.kind)} = 'contact' and ${inSet(d, t.owner, ids)}`;
  const counts = new Map<string, number>();
  if (d === 'postgres') {
    const rows = await sql<{ owner: string; live: boolean }>`delete from ${sql.table(t.table)} where ${where} returning ${sql.ref(t.owner)} as owner, (${live}) as live`.execute(trx);
    for (const r of rows.rows) if (r.live) counts.set(r.owner, (counts.get(r.owner) ?? 0) + 1);
    return counts;
  }
  const rows = await sql<{ owner: string; n: number }>`select ${sql.ref(t.owner)} as owner, count(*) as n from ${sql.table(t.table)} where ${where} and ${live} group by ${sql.ref(t.owner)}`.execute(trx);
  for (const r of rows.rows) counts.set(r.owner, Number(r.n));
  if (sqliteAction === 'delete') await sql`delete from ${sql.table(t.table)} where ${where}`.execute(trx);
  else await sql`update ${sql.table(t.table)} set expires_at = ${REVOKED} where ${where} and ${live}`.execute(trx);
  return counts;
}

/**
 * Resets one batch of a job's contacts in one transaction, set-based, with exactly what a
 * single reset does for each (factors, recovery codes, remembered devices, temporary codes and
 * sessions gone; setup required with an emailed link; an audit entry and an email each), and
 * marks the items done in the same transaction: a crash leaves a batch all done or all pending.
 */
async function resetBatch(ctx: Context, trx: Executor, job: Selectable<BulkJobsTable>, items: Array<{ seq: number; contact_id: string }>): Promise<number> {
  const ids = items.map((i) => i.contact_id);
  const now = ctx.clock.now();
  const nowISO = now.toISOString();
  const d = ctx.dialect;
  // Before any contact's rows: a settings change shortening the remembered-device period
  // rewrites every stored device, and it and a batch removing its contacts' devices, each in
  // its own row order, deadlocked on PostgreSQL. Now the change waits for the batch or the
  // batch for the change.
  await holdSettings(ctx, trx);
  const contacts = await trx.selectFrom('contacts').select(['id', 'email']).where(inSet(d, 'id', ids)).execute();
  const factors = await removePerContact(trx, d, { table: 'mfa_factors', kind: 'owner_kind', owner: 'owner_id' }, ids, sql`status = 'active'`, 'delete');
  // The MFA state rows right after the factors, before recovery codes and sessions: the order
  // in which a passed second step writes them (factor, mfa_accounts, sessions). The other way
  // round, a batch and a contact's sign-in deadlocked on PostgreSQL: the batch was rolled back
  // and redone one contact at a time, or the sign-in failed with its recovery code spent.
  const requireEnrollment = job.require_enrollment === 1;
  const setup = requireEnrollment ? 1 : 0;
  if (d === 'postgres') {
    await sql`insert into mfa_accounts (owner_kind, owner_id, failures, locked_until, hard_locked, enrollment_required, retire_factor_ids, setup_required, updated_at)
      select 'contact', id, 0, null, 0, 0, null, ${setup}::int, ${nowISO}::text from unnest(${ids}::text[]) as u(id)
      on conflict (owner_kind, owner_id) do update set failures = 0, locked_until = null, hard_locked = 0, enrollment_required = 0, retire_factor_ids = null,
        setup_required = excluded.setup_required, updated_at = excluded.updated_at`.execute(trx);
  } else {
    // 9 columns a row: 500 rows are 4,500 parameters, under SQLite's 32,766.
    for (let i = 0; i < ids.length; i += 500) {
      await trx
        .insertInto('mfa_accounts')
        .values(ids.slice(i, i + 500).map((id) => ({ owner_kind: 'contact' as const, owner_id: id, failures: 0, locked_until: null, hard_locked: 0, enrollment_required: 0, retire_factor_ids: null, setup_required: setup, updated_at: nowISO })))
        .onConflict((oc) => oc.columns(['owner_kind', 'owner_id']).doUpdateSet({ failures: 0, locked_until: null, hard_locked: 0, enrollment_required: 0, retire_factor_ids: null, setup_required: setup, updated_at: nowISO }))
        .execute();
    }
  }
  if (d === 'postgres') {
    // Again, now that the MFA state rows are this batch's: an enrollment that held one of them
    // committed its factor after the first delete had taken its snapshot (at READ COMMITTED a
    // waiting delete rechecks only the rows it saw), and a passkey registered at that moment
    // survived the reset. Enrollments hold the row (mfa/service.ts), so none can commit after
    // this one.
    const late = await removePerContact(trx, d, { table: 'mfa_factors', kind: 'owner_kind', owner: 'owner_id' }, ids, sql`status = 'active'`, 'delete');
    for (const [owner, n] of late) factors.set(owner, (factors.get(owner) ?? 0) + n);
  }
  const codes = await removePerContact(trx, d, { table: 'recovery_codes', kind: 'owner_kind', owner: 'owner_id' }, ids, sql`used_at is null`, 'delete');
  // On SQLite, sessions and remembered devices are revoked by expiring them, not deleted: each
  // is also indexed by its random token hash, and deleting a batch's rows would dirty a page of
  // that index for nearly every row (~1,500 of a 500-contact batch's ~3,700 WAL pages).
  // Expiring rewrites only the owner's own rows, which sit together; housekeeping deletes them.
  const live = sql`expires_at > ${nowISO}`;
  const devices = await removePerContact(trx, d, { table: 'remembered_devices', kind: 'owner_kind', owner: 'owner_id' }, ids, live, 'revoke');
  const sessionsByContact = await removePerContact(trx, d, { table: 'sessions', kind: 'kind', owner: 'subject_id' }, ids, live, 'revoke');
  await trx.updateTable('temporary_codes').set({ voided_at: nowISO }).where('owner_kind', '=', 'contact').where(inSet(d, 'owner_id', ids)).where('used_at', 'is', null).where('voided_at', 'is', null).execute();
  // Earlier setup links, and the email changes the revoked sessions asked for (accounts/service.ts, endEverySession).
  await trx.updateTable('email_tokens').set({ used_at: nowISO }).where('purpose', 'in', ['mfa_setup', 'email_change']).where('subject_kind', '=', 'contact').where(inSet(d, 'subject_id', ids)).where('used_at', 'is', null).execute();
  const emails: Array<Insertable<OutboxTable>> = [];
  const entries: AuditEntry[] = [];
  const actor: Actor = { type: job.actor_type, id: job.actor_id };
  for (const [n, c] of contacts.entries()) {
    // A PostgreSQL batch is thousands of contacts: building their emails and entries is
    // hundreds of milliseconds of JavaScript, which must not hold the event loop in one go.
    if (n > 0 && n % 250 === 0) await yieldToEventLoop();
    const f = factors.get(c.id) ?? 0;
    // Rendered, with its setup link, when the mailer sends it (bulk-notice.ts).
    const notice = bulkResetNotice({ contactId: c.id, factorsRemoved: f, at: nowISO, setup: requireEnrollment });
    emails.push({ id: generateID('em', now), recipient: c.email, subject: RESET_NOTICE_SUBJECT, text_body: '', html_body: '', rendered_at_delivery: notice, created_at: nowISO, next_attempt_at: nowISO, sent_at: null, last_error: null, locked_until: null, priority: 1 });
    entries.push({
      actor,
      action: 'mfa.reset',
      contactID: c.id,
      reason: job.reason,
      verification: { method: 'none' },
      details: {
        bulkJobId: job.id,
        factorsRemoved: f,
        recoveryCodesRemoved: codes.get(c.id) ?? 0,
        rememberedDevicesRemoved: devices.get(c.id) ?? 0,
        sessionsRevoked: sessionsByContact.get(c.id) ?? 0,
        enrollmentRequired: requireEnrollment,
      },
    });
  }
  await insertSet(trx, d, 'outbox', emails, { priority: 'int' });
  await appendAuditEvents(ctx, trx, entries);
  const found = new Set(contacts.map((c) => c.id));
  const done = items.filter((i) => found.has(i.contact_id)).map((i) => i.seq);
  const gone = items.filter((i) => !found.has(i.contact_id)).map((i) => i.seq);
  if (done.length) await trx.updateTable('bulk_job_items').set({ status: 'done', finished_at: nowISO }).where(inSet(d, 'seq', done, 'bigint')).where('status', '=', 'pending').execute();
  if (gone.length) await trx.updateTable('bulk_job_items').set({ status: 'failed', error: CONTACT_GONE, finished_at: nowISO }).where(inSet(d, 'seq', gone, 'bigint')).execute();
  await trx
    .updateTable('bulk_jobs')
    .set((eb) => ({ done: eb('done', '+', done.length), failed: eb('failed', '+', gone.length) }))
    .where('id', '=', job.id)
    .execute();
  return items.length;
}

/**
 * Runs the background work: due waiting-period actions, and bulk jobs. Each instance has an id; a job is claimed with a lease
 * that the runner renews with every batch, so with several instances on one PostgreSQL exactly
 * one runs a job, and after a crash (or kill -9) another takes over once the lease lapses,
 * resuming at the first pending item.
 */
export class BulkRunner {
  readonly instanceID = `${process.pid}-${randomBytes(4).toString('hex')}`;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = true;
  /** Set by stop(): a job in progress stops between batches (its lease lapses, another instance resumes it). */
  private halted = false;

  constructor(
    private readonly ctx: Context,
    private readonly pollMs = 1000,
    /** Contacts a batch (a transaction); RESET_BATCH for the dialect unless told. */
    private readonly batchSize: number = RESET_BATCH[ctx.dialect],
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.halted = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.running) await this.running.catch(() => undefined);
  }

  /** Wakes the runner now (after a job is created). */
  kick(): void {
    if (!this.stopped && !this.running) this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      // Due waiting-period actions first (they are small), then bulk jobs.
      this.running = runDuePendingActions(this.ctx)
        .then(() => this.runOnce())
        .catch((error) => this.ctx.log.error({ error: errorText(error) }, 'bulk job pass failed'))
        .finally(() => {
          this.running = null;
          this.schedule(this.pollMs);
        });
    }, delay);
    this.timer.unref();
  }

  /** Claims one runnable job (if any) and works it to the end, cancellation or lease loss. */
  async runOnce(): Promise<boolean> {
    const ctx = this.ctx;
    const now = ctx.clock.now().toISOString();
    const candidate = await ctx.db
      .selectFrom('bulk_jobs')
      .select('id')
      .where('status', 'in', ['queued', 'running'])
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('created_at')
      .executeTakeFirst();
    if (!candidate) return false;
    const claimed = await ctx.db
      .updateTable('bulk_jobs')
      .set({ lease_owner: this.instanceID, lease_until: leaseUntil(ctx), status: 'running' })
      .where('id', '=', candidate.id)
      .where('status', 'in', ['queued', 'running'])
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return false;
    await ctx.db.updateTable('bulk_jobs').set({ started_at: now }).where('id', '=', candidate.id).where('started_at', 'is', null).execute();
    while (!this.halted) {
      let more: boolean;
      try {
        more = await this.runBatch(candidate.id);
      } catch (error) {
        // The batch rolled back whole. Redone one contact at a time, a contact whose reset
        // keeps failing is marked failed and the rest go on; before, the job retried the same
        // batch every lease, forever, with its progress stuck.
        ctx.log.warn({ jobId: candidate.id, error: errorText(error) }, 'bulk reset batch failed; retrying its contacts one at a time');
        more = await this.runOneByOne(candidate.id);
      }
      if (!more) break;
      // Let requests that queued behind the batch run before the next one starts.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return true;
  }

  /**
   * The next batch's contacts one at a time, each in its own transaction. A contact whose reset
   * fails BATCH_RETRIES times in a row is marked failed with the error (counted in `failed`) in
   * a transaction of its own; should even that fail (the database is down, say), the error
   * goes up and the job is retried at the next pass, nothing marked. False when the job ended.
   */
  private async runOneByOne(jobID: string): Promise<boolean> {
    for (let n = 0; n < this.batchSize && !this.halted; n++) {
      let lastError: unknown = null;
      let more = true;
      for (let attempt = 0; attempt < BATCH_RETRIES; attempt++) {
        try {
          more = await this.runBatch(jobID, 1);
          lastError = null;
          break;
        } catch (error) {
          lastError = error;
        }
      }
      if (lastError !== null && !(await this.markNextFailed(jobID, errorText(lastError)))) return false;
      if (!more) return false;
    }
    return true;
  }

  /** Marks the job's next pending contact failed, if the job is still ours and running. */
  private async markNextFailed(jobID: string, error: string): Promise<boolean> {
    const ctx = this.ctx;
    return ctx.db.transaction().execute(async (trx) => {
      const ours = await trx.updateTable('bulk_jobs').set((eb) => ({ failed: eb('failed', '+', 1) })).where('id', '=', jobID).where('lease_owner', '=', this.instanceID).where('status', '=', 'running').executeTakeFirst();
      if (Number(ours.numUpdatedRows) !== 1) return false;
      const next = await trx.selectFrom('bulk_job_items').select(['seq', 'contact_id']).where('job_id', '=', jobID).where('status', '=', 'pending').orderBy('seq').limit(1).executeTakeFirst();
      if (!next) throw new Error('bulk job: no pending contact to mark failed');
      await trx.updateTable('bulk_job_items').set({ status: 'failed', error: error.slice(0, 500), finished_at: ctx.clock.now().toISOString() }).where('seq', '=', next.seq).execute();
      ctx.log.error({ jobId: jobID, contactId: next.contact_id, error }, 'bulk reset: a contact could not be reset');
      return true;
    });
  }

  /** One batch (`size` contacts); false when the job is finished, cancelled, or no longer ours. */
  async runBatch(jobID: string, size: number = this.batchSize): Promise<boolean> {
    const ctx = this.ctx;
    return ctx.db.transaction().execute(async (trx) => {
      // Renewing the lease inside the batch's transaction proves the job is still ours.
      const renewed = await trx
        .updateTable('bulk_jobs')
        .set({ lease_until: leaseUntil(ctx) })
        .where('id', '=', jobID)
        .where('lease_owner', '=', this.instanceID)
        .where('status', '=', 'running')
        .executeTakeFirst();
      if (Number(renewed.numUpdatedRows) !== 1) return false;
      const job = await trx.selectFrom('bulk_jobs').selectAll().where('id', '=', jobID).executeTakeFirstOrThrow();
      const items = await trx.selectFrom('bulk_job_items').select(['seq', 'contact_id']).where('job_id', '=', jobID).where('status', '=', 'pending').orderBy('seq').limit(size).execute();
      if (!items.length) {
        const nowISO = ctx.clock.now().toISOString();
        await trx.updateTable('bulk_jobs').set({ status: 'completed', finished_at: nowISO, lease_owner: null, lease_until: null }).where('id', '=', jobID).execute();
        await appendAuditEvent(ctx, trx, {
          actor: { type: 'system', id: null },
          action: 'mfa.bulk_reset.completed',
          reason: job.reason,
          details: { jobId: jobID, total: Number(job.total), done: Number(job.done), failed: Number(job.failed) },
        });
        return false;
      }
      await resetBatch(ctx, trx, job, items.map((i) => ({ seq: Number(i.seq), contact_id: i.contact_id })));
      return true;
    });
  }
}
