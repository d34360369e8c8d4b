import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../types.js';
import { seqColumn } from './001-foundation.js';

type AnyDB = Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Bulk reset jobs, the waiting period's pending actions, and codes that become valid later. */
export async function up(db: AnyDB, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('bulk_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('filter', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('require_enrollment', 'integer', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('unknown_emails', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    // A lease: the instance running the job renews it; another instance takes over only after it lapses.
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .execute();

  // The frozen target list. An item is marked done in the same transaction as its reset,
  // so a job resumed after a crash never resets anyone twice and never misses anyone.
  await seqColumn(db, dialect, 'bulk_job_items')
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('bulk_job_items_job').on('bulk_job_items').columns(['job_id', 'status', 'seq']).execute();

  await db.schema
    .createTable('pending_actions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('owner_kind', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('verification', 'text')
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('effective_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('cancelled_by', 'text')
    .addColumn('cancel_token_hash', 'text', (c) => c.notNull().unique())
    .execute();
  await db.schema.createIndex('pending_actions_due').on('pending_actions').columns(['status', 'effective_at']).execute();
  await db.schema.createIndex('pending_actions_owner').on('pending_actions').columns(['owner_kind', 'owner_id', 'status']).execute();

  await db.schema.alterTable('temporary_codes').addColumn('valid_from', 'text').execute();

  // Bulk mail (priority 1) waits behind a person's own mail (0): an incident's 100,000 reset
  // notices must not delay the verification email of someone signing up right now.
  await db.schema.alterTable('outbox').addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('outbox_queue').on('outbox').columns(['priority', 'seq']).where(sql.ref('sent_at'), 'is', null).execute();
}
