import { join } from 'node:path';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import type { Context } from './context.js';
import { openDatabase, type OpenOptions } from './db/index.js';
import { migrateToLatest } from './db/migrate.js';
import { deriveKey } from './crypto/hash.js';
import { createSecretBox } from './crypto/secret-box.js';
import { createMailer } from './notify/mailer.js';
import { BULK_RESET_NOTICE, bulkResetNoticeRenderer } from './recovery/bulk-notice.js';
import { createFileTransport, createSMTPTransport, type Transport } from './notify/transport.js';
import { BulkRunner } from './recovery/bulk.js';

export interface RuntimeOptions {
  clock?: Clock;
  transport?: Transport;
  log?: FastifyBaseLogger;
  mailPollMs?: number;
  database?: OpenOptions;
  /** Start the outbox delivery loop (default true). */
  deliverMail?: boolean;
  /** Run bulk jobs and due pending actions in the background (default: with deliverMail). */
  runJobs?: boolean;
  jobPollMs?: number;
}

export interface Runtime {
  ctx: Context;
  runner: BulkRunner;
  close(): Promise<void>;
}

/** The production logger (stdout unless a destination is given, as tests do to read it). */
export function createLogger(level: string, destination?: pino.DestinationStream): FastifyBaseLogger {
  return pino({
    level,
    // Query strings can hold tokens (emailed links); logs keep the path only.
    serializers: {
      req: (r: { method: string; url: string; ip?: string }) => ({ method: r.method, url: r.url.split('?')[0], ip: r.ip }),
    },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token', '*.code'], censor: '[redacted]' },
  }, destination) as unknown as FastifyBaseLogger;
}

/** Opens the database, migrates it, and wires the services' dependencies together. */
export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const log = options.log ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const { db, dialect, close } = await openDatabase(config.databaseURL, {
    ...options.database,
    onConnectionError: (error) => log.warn({ error: error.message }, 'a pooled database connection broke; the next query reconnects'),
  });
  await migrateToLatest(db, dialect);
  const transport =
    options.transport ?? (config.smtpURL ? createSMTPTransport(config.smtpURL, config.mailFrom) : createFileTransport(join(config.dataDir, 'outbox'), log));
  const mailer = createMailer(db, transport, clock, log, options.mailPollMs);
  const ctx: Context = {
    config,
    db,
    dialect,
    clock,
    secretBox: createSecretBox([config.secretKey]),
    keys: {
      audit: deriveKey(config.secretKey, 'audit-chain'),
      csrf: deriveKey(config.secretKey, 'csrf'),
      remember: deriveKey(config.secretKey, 'remembered-device'),
    },
    mailer,
    log,
  };
  mailer.registerRenderer(BULK_RESET_NOTICE, bulkResetNoticeRenderer(ctx));
  if (options.deliverMail !== false) mailer.start();
  const runner = new BulkRunner(ctx, options.jobPollMs);
  if (options.runJobs ?? options.deliverMail !== false) {
    runner.start();
    ctx.wake = () => runner.kick();
  }
  return {
    ctx,
    runner,
    async close() {
      await runner.stop();
      await mailer.stop();
      await close();
    },
  };
}
