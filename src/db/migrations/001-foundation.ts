import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../types.js';

// Kysely migrations take an untyped database: a migration describes the schema as it was
// at that point, not as the current types say it is.
type AnyDB = Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The primary key that orders rows by insertion: INTEGER rowid on SQLite, bigserial on PostgreSQL. */
export function seqColumn(db: AnyDB, dialect: Dialect, table: string) {
  return dialect === 'sqlite'
    ? db.schema.createTable(table).addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
    : db.schema.createTable(table).addColumn('seq', 'bigserial', (c) => c.primaryKey());
}

export async function up(db: AnyDB, dialect: Dialect): Promise<void> {
  for (const table of ['contacts', 'staff']) {
    let t = seqColumn(db, dialect, table)
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text');
    if (table === 'contacts') t = t.addColumn('email_verified_at', 'text');
    if (table === 'staff') t = t.addColumn('role', 'text', (c) => c.notNull()).addColumn('active', 'integer', (c) => c.notNull().defaultTo(1));
    await t
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  }

  // Contact search: substring match on name and email that stays fast at a million rows.
  if (dialect === 'sqlite') {
    await sql`CREATE VIRTUAL TABLE contacts_fts USING fts5(name, email, content='contacts', content_rowid='seq', tokenize='trigram')`.execute(db);
    await sql`CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
      INSERT INTO contacts_fts(rowid, name, email) VALUES (new.seq, new.name, new.email); END`.execute(db);
    await sql`CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
      INSERT INTO contacts_fts(contacts_fts, rowid, name, email) VALUES ('delete', old.seq, old.name, old.email); END`.execute(db);
    await sql`CREATE TRIGGER contacts_fts_update AFTER UPDATE OF name, email ON contacts BEGIN
      INSERT INTO contacts_fts(contacts_fts, rowid, name, email) VALUES ('delete', old.seq, old.name, old.email);
      INSERT INTO contacts_fts(rowid, name, email) VALUES (new.seq, new.name, new.email); END`.execute(db);
  } else {
    await ensurePgTrgm(db);
    await sql`CREATE INDEX contacts_search_trgm ON contacts USING gin ((lower(name) || ' ' || email) gin_trgm_ops)`.execute(db);
  }

  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('step_up_at', 'text')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .execute();
  await db.schema.createIndex('sessions_subject').on('sessions').columns(['kind', 'subject_id']).execute();

  await db.schema
    .createTable('email_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('subject_kind', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('data', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('email_tokens_subject').on('email_tokens').columns(['subject_kind', 'subject_id', 'purpose']).execute();

  await seqColumn(db, dialect, 'tickets')
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('recovery', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tickets_contact').on('tickets').columns(['contact_id', 'seq']).execute();
  await db.schema.createIndex('tickets_status').on('tickets').columns(['status', 'seq']).execute();

  await seqColumn(db, dialect, 'ticket_messages')
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('ticket_id', 'text', (c) => c.notNull().references('tickets.id').onDelete('cascade'))
    .addColumn('author_kind', 'text', (c) => c.notNull())
    .addColumn('author_id', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ticket_messages_ticket').on('ticket_messages').columns(['ticket_id', 'seq']).execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('seq', 'bigint', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('contact_id', 'text')
    .addColumn('staff_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('verification', 'text')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('details', 'text')
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_contact').on('audit_events').columns(['contact_id', 'seq']).execute();
  await db.schema.createIndex('audit_actor').on('audit_events').columns(['actor_id', 'seq']).execute();
  await db.schema.createIndex('audit_action').on('audit_events').columns(['action', 'seq']).execute();
  await db.schema.createIndex('audit_at').on('audit_events').columns(['at']).execute();

  await db.schema
    .createTable('audit_head')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.insertInto('audit_head').values({ id: 1, seq: 0, hash: '0'.repeat(64) }).execute();

  await seqColumn(db, dialect, 'outbox')
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text_body', 'text', (c) => c.notNull())
    .addColumn('html_body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('locked_until', 'text')
    .execute();
  await db.schema.createIndex('outbox_due').on('outbox').columns(['sent_at', 'next_attempt_at']).execute();

  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('window_start', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .execute();
}

/**
 * pg_trgm ships with PostgreSQL's contrib modules. Several test processes may race to create
 * it; the loser's unique-violation is harmless.
 */
async function ensurePgTrgm(db: AnyDB): Promise<void> {
  try {
    await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public`.execute(db);
  } catch (error) {
    const exists = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'pg_trgm'`.execute(db);
    if (exists.rows[0]?.n !== 1) throw error;
  }
}
