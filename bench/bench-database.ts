/**
 * The database a server benchmark sets up and then hands to `portico serve` (bench/server-process.ts):
 * a temp folder with a SQLite file, or a fresh PostgreSQL schema, and the environment that
 * points the server at it with the same secret key as the runtime this process seeds through
 * (so that CSRF tokens and sealed secrets computed here are the server's). `remove()` deletes it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { loadConfig, type Config } from '../src/config.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import type { Transport } from '../src/notify/transport.js';

export interface BenchDatabase {
  /** The server's environment: data folder, DATABASE_URL (with the schema), secret key, `extra`. */
  env: Record<string, string>;
  config: Config;
  /** A runtime on the database for seeding (no job runners, mail goes nowhere). Close it before the server starts. */
  rt: Runtime;
  usePG: boolean;
  schema: string | null;
  remove(): Promise<void>;
}

export async function openBenchDatabase(name: string, db: string, pgURL: string, extra: Record<string, string> = {}): Promise<BenchDatabase> {
  const dir = mkdtempSync(join(tmpdir(), `portico-bench-${name}-`));
  const usePG = db === 'postgres';
  const schema = usePG ? `bench_${name.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}` : null;
  const env = {
    PORTICO_DATA_DIR: dir,
    DATABASE_URL: usePG ? `${pgURL}?options=${encodeURIComponent(`-c search_path=${schema}`)}` : `sqlite:${join(dir, 'portico.db')}`,
    PORTICO_SECRET_KEY: randomBytes(32).toString('base64'),
    ...extra,
  };
  const config = loadConfig({ ...env, DATABASE_URL: usePG ? pgURL : env.DATABASE_URL, LOG_LEVEL: 'silent', PORT: '0' });
  const nullTransport: Transport = { async send() {}, close() {} };
  const rt = await createRuntime(config, {
    log: pino({ level: 'silent' }) as unknown as FastifyBaseLogger,
    transport: nullTransport,
    database: schema ? { schema } : undefined,
  });
  return {
    env,
    config,
    rt,
    usePG,
    schema,
    async remove() {
      await rt.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      if (schema) {
        const c = new pg.Client({ connectionString: pgURL });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await c.end();
      }
    },
  };
}
