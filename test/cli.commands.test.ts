import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase } from '../src/db/index.js';
import { TEST_PG_URL } from './helpers/app.js';

const ROOT = resolve(import.meta.dirname, '..');
let dir: string;
let env: Record<string, string>;
let schema: string | null = null;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portico-cli-'));
  env = { PORTICO_DATA_DIR: dir, LOG_LEVEL: 'silent' };
  if (TEST_PG_URL) {
    // The CLI knows nothing of test schemas: point its connection's search_path at a fresh one.
    schema = `cli_${randomBytes(5).toString('hex')}`;
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    await c.query(`CREATE SCHEMA "${schema}"`);
    await c.end();
    const u = new URL(TEST_PG_URL);
    u.searchParams.set('options', `-c search_path=${schema},public`);
    env.DATABASE_URL = u.toString();
    env.PORTICO_SECRET_KEY = randomBytes(32).toString('base64');
  } else {
    env.DATABASE_URL = `sqlite:${join(dir, 'portico.db')}`;
  }
});
afterAll(async () => {
  if (schema && TEST_PG_URL) {
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  }
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function portico(args: string[], stdin = '', extraEnv: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/portico.js'), ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, ...env, ...extraEnv },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** One clear line on stderr, no stack trace. */
function expectOneLineError(r: Run, pattern: RegExp) {
  expect(r.code, r.stderr).not.toBe(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^portico: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('the portico CLI', () => {
  it('migrate applies the migrations once', async () => {
    const first = await portico(['migrate']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/applied: 001-foundation/);
    const again = await portico(['migrate']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/up to date/);
  });

  it('admin create and staff create --role make accounts from a password on stdin', async () => {
    const a = await portico(['admin', 'create', '--email', 'root@example.com', '--name', 'Root Admin'], 'a long admin password\n');
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/created admin root@example.com \(st_/);
    const s = await portico(['staff', 'create', '--email', 'sup@example.com', '--name', 'Sue Pervisor', '--role', 'supervisor'], 'another long password');
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/created supervisor sup@example.com/);
    const { db, close } = await openDatabase(env.DATABASE_URL);
    try {
      const rows = await db.selectFrom('staff').select(['email', 'role', 'password_hash']).orderBy('seq').execute();
      expect(rows.map((r) => [r.email, r.role])).toEqual([
        ['root@example.com', 'admin'],
        ['sup@example.com', 'supervisor'],
      ]);
      expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
    } finally {
      await close();
    }
    expectOneLineError(await portico(['admin', 'create', '--email', 'ROOT@example.com', '--name', 'Again'], 'a long admin password'), /already exists/);
  });

  it('bad input exits non-zero with one clear line and no stack trace', async () => {
    expectOneLineError(await portico(['admin', 'create', '--name', 'No Email'], 'a long admin password'), /missing --email/);
    expectOneLineError(await portico(['staff', 'create', '--email', 'x@example.com', '--name', 'X', '--role', 'owner'], 'a long password'), /--role must be agent, supervisor or admin/);
    expectOneLineError(await portico(['staff', 'create', '--email', 'y@example.com', '--name', 'Y'], 'a long password'), /missing --role/);
    expectOneLineError(await portico(['admin', 'create', '--email', 'z@example.com', '--name', 'Z'], 'short\n'), /password .* 8 to 128 characters/);
    expectOneLineError(await portico(['admin', 'create', '--email', 'not-an-email', '--name', 'Z'], 'a long admin password'), /not an email address/);
    expectOneLineError(await portico(['frobnicate']), /unknown command "frobnicate"/);
    expectOneLineError(await portico(['migrate', '--bogus']), /bogus/);
    expectOneLineError(await portico(['migrate'], '', { PORT: 'eighty' }), /PORT/);
    expectOneLineError(await portico(['migrate'], '', { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test', PORTICO_SECRET_KEY: '' }), /PORTICO_SECRET_KEY/);
    const none = await portico([]);
    expect(none.code).not.toBe(0);
    expect(none.stdout).toMatch(/usage: portico/);
  });

  it('audit verify exits 0 on an intact chain and 1 naming the entry after tampering', async () => {
    const ok = await portico(['audit', 'verify']);
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/^ok: [1-9]\d* entries, head [0-9a-f]{64}/);

    const { db, close } = await openDatabase(env.DATABASE_URL);
    let victim: string;
    try {
      const first = await db.selectFrom('audit_events').select(['id']).orderBy('seq').executeTakeFirstOrThrow();
      victim = first.id;
      await db.updateTable('audit_events').set({ details: '{"role":"agent"}' }).where('id', '=', victim).execute();
    } finally {
      await close();
    }
    const broken = await portico(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(victim);
    expect(broken.stdout).toMatch(/^broken: /);
  });
});
