import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { FastifyBaseLogger } from 'fastify';
import { FakeClock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Context } from '../../src/context.js';
import { buildApp } from '../../src/app.js';
import type { App } from '../../src/http/types.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { createSMTPTransport } from '../../src/notify/transport.js';
import { createStaffWithPassword } from '../../src/accounts/staff.js';
import { MailSink } from './mail-sink.js';
import { Client } from './client.js';

// PostgreSQL when PORTICO_TEST_DATABASE_URL is set (each test app gets its own schema), else SQLite.
import { TEST_PG_URL } from './database.js';
export { TEST_PG_URL };
export const dialectUnderTest = TEST_PG_URL ? 'postgres' : 'sqlite';

export interface TestApp {
  app: App;
  runtime: Runtime;
  ctx: Context;
  config: Config;
  clock: FakeClock;
  mail: MailSink;
  /** A new browser-like client with its own cookie jar. */
  client(): Client;
  /** Environment for a `portico` CLI process on this same database, key and mail sink. */
  cliEnv(): Record<string, string>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  clock?: FakeClock;
  env?: Record<string, string>;
  /** Serve the built web UI (browser tests). */
  web?: boolean;
  /** Run bulk jobs and pending actions in the background (default true). */
  runJobs?: boolean;
  /** Log through this logger, with Fastify's request logging on (tests that read the logs). */
  log?: FastifyBaseLogger;
}

/**
 * A real Portico on a real database (SQLite file or a fresh PostgreSQL schema) with a real SMTP
 * sink. Only the clock is fake; it starts at the real time so that TOTP and WebAuthn agree
 * with the outside world, and tests move it forward.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-test-'));
  const mail = new MailSink();
  const smtpURL = await mail.start();
  const schema = TEST_PG_URL ? `t_${randomBytes(6).toString('hex')}` : undefined;
  const config = loadConfig({
    PORTICO_DATA_DIR: dir,
    DATABASE_URL: TEST_PG_URL && schema ? testAppDatabaseURL(TEST_PG_URL, schema) : `sqlite:${join(dir, 'portico.db')}`,
    PORTICO_SECRET_KEY: randomBytes(32).toString('base64'),
    SMTP_URL: smtpURL,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
    RATE_LIMIT_SIGNUP_PER_HOUR: '1000',
    RATE_LIMIT_PASSWORD_RESET_PER_HOUR: '1000',
    ...options.env,
  });
  const clock = options.clock ?? new FakeClock(new Date());
  const rt = await createRuntime(config, {
    clock,
    transport: createSMTPTransport(smtpURL, config.mailFrom),
    mailPollMs: 50,
    jobPollMs: 50,
    runJobs: options.runJobs,
    database: schema ? { schema, poolSize: 5 } : undefined,
    log: options.log,
  });
  const app = await buildApp(rt.ctx, { logger: options.log !== undefined, webDir: options.web ? undefined : null });
  await app.ready();
  return {
    app,
    runtime: rt,
    ctx: rt.ctx,
    config,
    clock,
    mail,
    client: () => new Client(app),
    cliEnv() {
      let url = config.databaseURL;
      if (schema) {
        const u = new URL(url);
        u.searchParams.set('options', `-c search_path=${schema},public`);
        url = u.toString();
      }
      return { DATABASE_URL: url, PORTICO_SECRET_KEY: config.secretKey.toString('base64'), SMTP_URL: smtpURL, PORTICO_DATA_DIR: dir, LOG_LEVEL: 'silent' };
    },
    async close() {
      await app.close();
      await rt.close();
      await mail.stop();
      if (schema && TEST_PG_URL) {
        const c = new pg.Client({ connectionString: TEST_PG_URL });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await c.end();
      }
      rmSync(dir, { recursive: true, force: true });
      if (mail.errors.length) throw new Error(`the SMTP sink saw errors: ${mail.errors.map((e) => e.message).join('; ')}`);
    },
  };
}

/**
 * The PostgreSQL URL of one test app: the shared test database, with an `application_name`
 * unique to the app (`portico-<its schema>`, 22 bytes: PostgreSQL keeps 63), so that
 * pg_stat_activity tells its connections (the app's pool, and CLI processes run with cliEnv)
 * from those of test files running alongside; test/helpers/pg-locks.ts counts lock waits by it.
 */
function testAppDatabaseURL(base: string, schema: string): string {
  const u = new URL(base);
  u.searchParams.set('application_name', `portico-${schema}`);
  return u.toString();
}

export const PASSWORD = 'correct horse battery';

/** A staff member with a password, created the way `portico staff create` does. */
export async function createStaff(t: TestApp, role: 'agent' | 'supervisor' | 'admin', email = `${role}-${randomBytes(3).toString('hex')}@example.com`) {
  return createStaffWithPassword(t.ctx, { email, name: `${role[0].toUpperCase()}${role.slice(1)} Person`, role, password: PASSWORD });
}

/** A staff client signed in with a password (no MFA yet). */
export async function signInStaff(t: TestApp, email: string, password = PASSWORD): Promise<Client> {
  const c = t.client();
  const r = await c.post('/api/v1/staff-auth/login', { email, password });
  if (r.statusCode !== 200) throw new Error(`staff sign-in failed: ${r.statusCode} ${r.body}`);
  return c;
}

/** Signs a customer up, verifies the email from the real message, and signs in. */
export async function signUpContact(t: TestApp, email = `c-${randomBytes(3).toString('hex')}@example.com`, name = 'Casey Customer'): Promise<{ client: Client; email: string; id: string }> {
  const c = t.client();
  const r = await c.post('/api/v1/auth/signup', { email, password: PASSWORD, name });
  if (r.statusCode !== 201) throw new Error(`sign-up failed: ${r.statusCode} ${r.body}`);
  const msg = await t.mail.waitFor(email, 'Confirm your email');
  const v = await c.post('/api/v1/auth/verify-email', { token: MailSink.token(msg, '/verify-email') });
  if (v.statusCode !== 200) throw new Error(`verify failed: ${v.statusCode} ${v.body}`);
  const l = await c.post('/api/v1/auth/login', { email, password: PASSWORD });
  if (l.statusCode !== 200) throw new Error(`login failed: ${l.statusCode} ${l.body}`);
  const s = await c.get('/api/v1/auth/session');
  return { client: c, email, id: s.json().contact.id };
}

/**
 * Makes `n` things one after the other: for pending sign-ins of one account, which tests then
 * race. Their password steps cannot all be in flight at once: a password try is counted before
 * it is checked, so past the back-off's 5 free tries the rest would be refused with 429
 * (test/sign-in.password-backoff-holds-under-concurrency.test.ts).
 */
export async function oneAfterAnother<T>(n: number, make: () => Promise<T>): Promise<T[]> {
  const made: T[] = [];
  for (let i = 0; i < n; i++) made.push(await make());
  return made;
}
