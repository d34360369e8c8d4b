import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from './config.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portico-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function problemsFor(env: Record<string, string>): string[] {
  try {
    loadConfig({ PORTICO_DATA_DIR: dir, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has laptop defaults and generates a secret key into the data folder once', () => {
    const c = loadConfig({ PORTICO_DATA_DIR: dir });
    expect(c).toMatchObject({ port: 3000, host: '127.0.0.1', publicURL: 'http://localhost:3000', databaseURL: `sqlite:${dir}/portico.db`, smtpURL: null, trustProxy: false, secretKeyGenerated: true });
    expect(c.secretKey).toHaveLength(32);
    expect(existsSync(join(dir, 'secret.key'))).toBe(true);
    const again = loadConfig({ PORTICO_DATA_DIR: dir });
    expect(again.secretKeyGenerated).toBe(false);
    expect(again.secretKey.equals(c.secretKey)).toBe(true);
    expect(readFileSync(join(dir, 'secret.key'), 'utf8').trim()).toBe(c.secretKey.toString('base64'));
  });

  it('reads every variable', () => {
    const key = randomBytes(32).toString('base64');
    const c = loadConfig({
      PORTICO_DATA_DIR: dir,
      PORT: '8080',
      HOST: '0.0.0.0',
      PUBLIC_URL: 'https://help.example.com/',
      DATABASE_URL: 'postgres://u@db/portico',
      PORTICO_SECRET_KEY: key,
      SMTP_URL: 'smtps://u:p@mail.example.com',
      MAIL_FROM: 'Help <help@example.com>',
      TRUST_PROXY: '10.0.0.1, 10.0.0.2',
      RATE_LIMIT_LOGIN_PER_MINUTE: '7',
      RATE_LIMIT_SIGNUP_PER_HOUR: '8',
      LOG_LEVEL: 'warn',
      PORTICO_JOB_LEASE_SECONDS: '45',
    });
    expect(c).toMatchObject({ port: 8080, host: '0.0.0.0', publicURL: 'https://help.example.com', databaseURL: 'postgres://u@db/portico', smtpURL: 'smtps://u:p@mail.example.com', trustProxy: ['10.0.0.1', '10.0.0.2'], rateLimitLoginPerMinute: 7, rateLimitSignupPerHour: 8, logLevel: 'warn', jobLeaseSeconds: 45 });
    expect(loadConfig({ PORTICO_DATA_DIR: dir }).jobLeaseSeconds).toBe(30);
    expect(c.secretKey.toString('base64')).toBe(key);
    expect(loadConfig({ PORTICO_DATA_DIR: dir, TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ PORTICO_DATA_DIR: dir, TRUST_PROXY: '2' }).trustProxy).toBe(2);
    // Empty values count as unset.
    expect(loadConfig({ PORTICO_DATA_DIR: dir, PORT: '' }).port).toBe(3000);
  });

  it.each([
    ['PORT', 'eighty', /^PORT: must be a whole number from 0 to 65535$/],
    ['PORT', '70000', /^PORT: must be a whole number from 0 to 65535$/],
    ['PUBLIC_URL', 'help.example.com', /^PUBLIC_URL: must be an http\(s\) URL/],
    ['DATABASE_URL', 'mysql://x', /^DATABASE_URL: must be sqlite:<path> or postgres:\/\/…$/],
    ['PORTICO_SECRET_KEY', 'c2hvcnQ=', /^PORTICO_SECRET_KEY: must be 32 bytes in base64/],
    ['SMTP_URL', 'http://mail', /^SMTP_URL: must be smtp:\/\//],
    ['RATE_LIMIT_LOGIN_PER_MINUTE', '0', /^RATE_LIMIT_LOGIN_PER_MINUTE: must be a whole number from 1 to 100000$/],
    ['RATE_LIMIT_SIGNUP_PER_HOUR', '-3', /^RATE_LIMIT_SIGNUP_PER_HOUR: must be a whole number/],
    ['LOG_LEVEL', 'loud', /^LOG_LEVEL: /],
    ['PORTICO_JOB_LEASE_SECONDS', 'abc', /^PORTICO_JOB_LEASE_SECONDS: must be a whole number from 1 to 3600$/],
    ['PORTICO_JOB_LEASE_SECONDS', '0', /^PORTICO_JOB_LEASE_SECONDS: must be a whole number from 1 to 3600$/],
    ['PORTICO_JOB_LEASE_SECONDS', '2.5', /^PORTICO_JOB_LEASE_SECONDS: must be a whole number from 1 to 3600$/],
    ['PORTICO_JOB_LEASE_SECONDS', '86400', /^PORTICO_JOB_LEASE_SECONDS: must be a whole number from 1 to 3600$/],
  ])('%s=%s gives one clear line', (name, value, pattern) => {
    const problems = problemsFor({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(pattern);
    expect(problems[0]).not.toContain('\n');
  });

  it('gives one line per bad value when several are bad', () => {
    const problems = problemsFor({ PORT: 'x', LOG_LEVEL: 'loud' });
    expect(problems).toHaveLength(2);
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['LOG_LEVEL', 'PORT']);
  });

  it('refuses PostgreSQL without a configured key, and generates none', () => {
    const problems = problemsFor({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' });
    expect(problems).toEqual([expect.stringMatching(/^PORTICO_SECRET_KEY: required with PostgreSQL/)]);
    expect(existsSync(join(dir, 'secret.key'))).toBe(false);
  });

  it('refuses a damaged key file', () => {
    writeFileSync(join(dir, 'secret.key'), 'c2hvcnQ=\n');
    const problems = problemsFor({});
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/secret\.key: must hold 32 bytes in base64/);
  });
});
