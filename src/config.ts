import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/** Typed, validated configuration. Every field is checked once at boot. */
export interface Config {
  port: number;
  host: string;
  publicURL: string;
  databaseURL: string;
  dataDir: string;
  secretKey: Buffer;
  smtpURL: string | null;
  mailFrom: string;
  /** TRUST_PROXY: off, everything, a hop count (that many proxies in front), or proxy addresses. */
  trustProxy: boolean | number | string[];
  rateLimitLoginPerMinute: number;
  rateLimitSignupPerHour: number;
  rateLimitPasswordResetPerHour: number;
  /** Per address and per kind of email: reset links, and "someone tried to sign up with your address". */
  rateLimitEmailsPerAddressPerHour: number;
  logLevel: string;
  /** How long a claimed bulk job stays claimed without a renewal (PORTICO_JOB_LEASE_SECONDS). */
  jobLeaseSeconds: number;
  /** True when the secret key was generated into the data folder on this start. */
  secretKeyGenerated: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

const intIn = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number from ${min} to ${max}`);

const envSchema = z.object({
  PORT: intIn(0, 65535).optional(),
  HOST: z.string().min(1).optional(),
  PUBLIC_URL: z
    .string()
    .refine((s) => /^https?:\/\/[^/]+/.test(s) && URL.canParse(s), 'must be an http(s) URL such as https://help.example.com')
    .optional(),
  DATABASE_URL: z
    .string()
    .refine((s) => /^sqlite:.+/.test(s) || /^postgres(ql)?:\/\//.test(s), 'must be sqlite:<path> or postgres://…')
    .optional(),
  PORTICO_SECRET_KEY: z
    .string()
    .refine((s) => Buffer.from(s, 'base64').length === 32, 'must be 32 bytes in base64 (try: openssl rand -base64 32)')
    .optional(),
  SMTP_URL: z.string().refine((s) => /^smtps?:\/\//.test(s), 'must be smtp://… or smtps://…').optional(),
  MAIL_FROM: z.string().min(3).optional(),
  TRUST_PROXY: z.string().optional(),
  RATE_LIMIT_LOGIN_PER_MINUTE: intIn(1, 100000).optional(),
  RATE_LIMIT_SIGNUP_PER_HOUR: intIn(1, 100000).optional(),
  RATE_LIMIT_PASSWORD_RESET_PER_HOUR: intIn(1, 100000).optional(),
  RATE_LIMIT_EMAILS_PER_ADDRESS_PER_HOUR: intIn(1, 100000).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  PORTICO_DATA_DIR: z.string().min(1).optional(),
  // A batch renews the lease; a crashed instance's job waits this long for another to resume it.
  PORTICO_JOB_LEASE_SECONDS: intIn(1, 3600).optional(),
});

function parseTrustProxy(raw: string | undefined): boolean | number | string[] {
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * Reads configuration from an environment (by default `process.env`, after loading `.env` from
 * the working directory). Throws ConfigError with one line per bad value.
 */
export function loadConfig(env: NodeJS.ProcessEnv = readEnvironment()): Config {
  // Empty values count as unset, as they do in most .env conventions.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const port = e.PORT ?? 3000;
  const dataDir = resolve(e.PORTICO_DATA_DIR ?? './data');
  const databaseURL = e.DATABASE_URL ?? `sqlite:${dataDir}/portico.db`;
  const isPostgres = databaseURL.startsWith('postgres');
  let secretKeyGenerated = false;
  let secretKey: Buffer;
  if (e.PORTICO_SECRET_KEY) {
    secretKey = Buffer.from(e.PORTICO_SECRET_KEY, 'base64');
  } else if (isPostgres) {
    throw new ConfigError([
      'PORTICO_SECRET_KEY: required with PostgreSQL, where every instance must share it (try: openssl rand -base64 32)',
    ]);
  } else {
    const keyFile = resolve(dataDir, 'secret.key');
    if (existsSync(keyFile)) {
      secretKey = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
      if (secretKey.length !== 32) throw new ConfigError([`${keyFile}: must hold 32 bytes in base64`]);
    } else {
      mkdirSync(dirname(keyFile), { recursive: true });
      secretKey = randomBytes(32);
      writeFileSync(keyFile, secretKey.toString('base64') + '\n', { mode: 0o600 });
      secretKeyGenerated = true;
    }
  }
  return {
    port,
    host: e.HOST ?? '127.0.0.1',
    publicURL: (e.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    databaseURL,
    dataDir,
    secretKey,
    smtpURL: e.SMTP_URL ?? null,
    mailFrom: e.MAIL_FROM ?? 'Portico <portico@localhost>',
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    rateLimitLoginPerMinute: e.RATE_LIMIT_LOGIN_PER_MINUTE ?? 20,
    rateLimitSignupPerHour: e.RATE_LIMIT_SIGNUP_PER_HOUR ?? 20,
    rateLimitPasswordResetPerHour: e.RATE_LIMIT_PASSWORD_RESET_PER_HOUR ?? 10,
    rateLimitEmailsPerAddressPerHour: e.RATE_LIMIT_EMAILS_PER_ADDRESS_PER_HOUR ?? 3,
    logLevel: e.LOG_LEVEL ?? 'info',
    jobLeaseSeconds: e.PORTICO_JOB_LEASE_SECONDS ?? 30,
    secretKeyGenerated,
  };
}

/** process.env with `.env` from the working directory underneath it (real variables win). */
export function readEnvironment(): NodeJS.ProcessEnv {
  if (existsSync('.env')) process.loadEnvFile('.env');
  return process.env;
}
