import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { DB, Dialect } from './db/index.js';
import type { SecretBox } from './crypto/secret-box.js';
import type { Mailer } from './notify/mailer.js';

/**
 * What every service needs from the outside world, handed in rather than imported, so that
 * tests can use a real database with a fake clock.
 */
export interface Context {
  config: Config;
  db: DB;
  dialect: Dialect;
  clock: Clock;
  secretBox: SecretBox;
  keys: { audit: Buffer; csrf: Buffer; remember: Buffer };
  mailer: Mailer;
  log: FastifyBaseLogger;
  /** Wakes the background runners (bulk jobs, due pending actions) after new work is queued. */
  wake?: () => void;
}

/** Who did something and from where: recorded in audit entries and emails. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}
