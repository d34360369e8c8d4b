import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { FakeClock } from '../clock.js';
import { openDatabase } from '../db/index.js';
import { migrateToLatest } from '../db/migrate.js';
import type { DB } from '../db/index.js';
import { backoffMs, createMailer } from './mailer.js';
import { createSMTPTransport } from './transport.js';
import { MailSink } from '../../test/helpers/mail-sink.js';

describe('backoffMs', () => {
  it('starts at 30 seconds and doubles', () => {
    expect(backoffMs(1)).toBe(30_000);
    expect(backoffMs(2)).toBe(60_000);
    expect(backoffMs(3)).toBe(120_000);
    expect(backoffMs(6)).toBe(960_000);
  });
  it('never waits more than 6 hours', () => {
    expect(backoffMs(10)).toBe(15_360_000);
    expect(backoffMs(11)).toBe(6 * 3600_000);
    expect(backoffMs(12)).toBe(6 * 3600_000);
  });
});

describe('the outbox with a real SMTP server that refuses, then accepts', () => {
  let dir: string;
  let db: DB;
  let close: () => Promise<void>;
  let sink: MailSink;
  const log = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portico-mailer-'));
    ({ db, close } = await openDatabase(`sqlite:${join(dir, 'mail.db')}`));
    await migrateToLatest(db, 'sqlite');
    sink = new MailSink();
  });
  afterEach(async () => {
    await sink.stop();
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every email through refusals, retries on the backoff schedule, and sends each exactly once', async () => {
    const url = await sink.start();
    const clock = new FakeClock('2026-05-01T00:00:00Z');
    const mailer = createMailer(db, createSMTPTransport(url, 'Portico <portico@localhost>'), clock, log);
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < 3; i++) await mailer.enqueue(trx, { to: `person${i}@example.com`, subject: `Hello ${i}`, text: `Body ${i}`, html: `<p>Body ${i}</p>` });
    });

    sink.refuse = true;
    expect(await mailer.deliverDue()).toBe(0);
    let rows = await db.selectFrom('outbox').selectAll().orderBy('seq').execute();
    expect(rows.map((r) => [r.attempts, r.sent_at])).toEqual([
      [1, null],
      [1, null],
      [1, null],
    ]);
    expect(rows[0].last_error).toMatch(/mailbox unavailable|451/);
    expect(rows[0].next_attempt_at).toBe('2026-05-01T00:00:30.000Z');

    // Not due yet: nothing is tried.
    clock.advance(29_000);
    expect(await mailer.deliverDue()).toBe(0);
    expect((await db.selectFrom('outbox').select('attempts').execute()).every((r) => r.attempts === 1)).toBe(true);

    // Due, still refused: the second wait is twice the first.
    clock.advance(1_000);
    expect(await mailer.deliverDue()).toBe(0);
    rows = await db.selectFrom('outbox').selectAll().orderBy('seq').execute();
    expect(rows[0]).toMatchObject({ attempts: 2, next_attempt_at: '2026-05-01T00:01:30.000Z' });

    // The provider is back: everything goes out, once.
    sink.refuse = false;
    clock.advance(60_000);
    expect(await mailer.deliverDue()).toBe(3);
    expect(sink.messages.map((m) => m.subject).sort()).toEqual(['Hello 0', 'Hello 1', 'Hello 2']);
    expect(sink.messages.find((m) => m.subject === 'Hello 1')!.text.trim()).toBe('Body 1');
    rows = await db.selectFrom('outbox').selectAll().execute();
    expect(rows.every((r) => r.sent_at !== null && r.attempts === 3 && r.last_error === null)).toBe(true);
    clock.advance(3600_000);
    expect(await mailer.deliverDue()).toBe(0);
    expect(sink.messages).toHaveLength(3);
    await mailer.stop();
  });

  it('writes nothing to the outbox when the enclosing transaction rolls back', async () => {
    const url = await sink.start();
    const mailer = createMailer(db, createSMTPTransport(url, 'Portico <portico@localhost>'), new FakeClock(), log);
    await expect(
      db.transaction().execute(async (trx) => {
        await mailer.enqueue(trx, { to: 'x@example.com', subject: 'never', text: 't', html: 'h' });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await db.selectFrom('outbox').selectAll().execute()).toHaveLength(0);
    await mailer.stop();
  });

  it('with the delivery loop running, mail refused at first arrives once the server accepts', async () => {
    const url = await sink.start();
    sink.refuse = true;
    const clock = new FakeClock();
    const mailer = createMailer(db, createSMTPTransport(url, 'Portico <portico@localhost>'), clock, log, 20);
    mailer.start();
    await mailer.enqueue(db, { to: 'loop@example.com', subject: 'Loop', text: 't', html: 'h' });
    for (let i = 0; i < 100; i++) {
      const row = await db.selectFrom('outbox').select('attempts').executeTakeFirstOrThrow();
      if (row.attempts >= 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    sink.refuse = false;
    clock.advance(30_000);
    await sink.waitFor('loop@example.com', 'Loop');
    await mailer.stop();
    expect(sink.messages).toHaveLength(1);
  });
});
