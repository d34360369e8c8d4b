import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.js';
import { openDatabase, type Database_ } from '../db/index.js';
import { migrateToLatest } from '../db/migrate.js';
import { createMailer, type Mailer } from './mailer.js';
import { createSMTPTransport, type Transport } from './transport.js';
import { MailSink } from '../../test/helpers/mail-sink.js';

// An email announces a change (a factor removed, a lockout), so it may leave only once that
// change is committed. On SQLite the transactions of one event-loop turn commit together
// (src/db/sqlite-group-commit.ts), and a statement outside a transaction (the outbox loop's)
// can read an email queued by a finished transaction before that COMMIT. The mailer waits for
// it (untilCommitted) before handing the email to SMTP. SQLite whatever the suite's database:
// PostgreSQL commits each transaction on its own, so nothing there can be read uncommitted.

describe('the outbox never sends an email before the change it announces is committed (SQLite)', () => {
  let dir: string;
  let d: Database_;
  let sink: MailSink;
  let onDisk: SQLite.Database;
  let mailer: Mailer;
  /** At each send: was the email's row on disk (as another process would see it)? */
  let committedAtSend: boolean[];
  const log = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;
  const email = (to: string) => ({ to, subject: 'A factor was removed', text: 'It was removed.', html: '<p>It was removed.</p>' });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portico-mail-commit-'));
    d = await openDatabase(`sqlite:${join(dir, 'mail.db')}`);
    await migrateToLatest(d.db, 'sqlite');
    // A deferred foreign key fails only at COMMIT: the way to make a whole group fail.
    await sql`create table parent (id integer primary key)`.execute(d.db);
    await sql`create table child (id integer primary key, parent integer references parent(id) deferrable initially deferred)`.execute(d.db);
    onDisk = new SQLite(join(dir, 'mail.db'), { readonly: true });
    sink = new MailSink();
    const smtp = createSMTPTransport(await sink.start(), 'Portico <portico@localhost>');
    committedAtSend = [];
    const watching: Transport = {
      async send(message, id) {
        committedAtSend.push((onDisk.prepare('select count(*) as n from outbox where id = ?').get(id) as { n: number }).n === 1);
        return smtp.send(message, id);
      },
      close: () => smtp.close(),
    };
    mailer = createMailer(d.db, watching, new FakeClock('2026-05-01T00:00:00Z'), log, 60_000);
  });
  afterEach(async () => {
    onDisk.close();
    await sink.stop();
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends a queued email only once its transaction is on disk, even when the outbox loop read it first', async () => {
    // The email's transaction and a delivery pass start in the same turn: the pass reads the
    // queued row inside the open group, before its COMMIT.
    const queued = d.db.transaction().execute((trx) => mailer.enqueue(trx, email('ada@example.com')));
    const delivered = mailer.deliverDue();
    await queued;
    expect(await delivered).toBe(1);
    expect(committedAtSend).toEqual([true]);
    expect(sink.messages.map((m) => m.to)).toEqual(['ada@example.com']);
  });

  it('sends nothing when the group holding the email fails to commit', async () => {
    // The email's transaction finishes, then another transaction of the same turn makes the
    // group's COMMIT fail: the email's change never happened, so no email may leave.
    const queued = d.db.transaction().execute((trx) => mailer.enqueue(trx, email('grace@example.com')));
    const breaksTheGroup = d.db.transaction().execute((trx) => sql`insert into child (id, parent) values (1, 99)`.execute(trx));
    const delivered = mailer.deliverDue();
    const results = await Promise.allSettled([queued, breaksTheGroup]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await delivered).toBe(0);
    expect(committedAtSend).toEqual([]);
    expect(sink.messages).toEqual([]);
    expect(onDisk.prepare('select count(*) as n from outbox').get()).toEqual({ n: 0 });
  });
});
