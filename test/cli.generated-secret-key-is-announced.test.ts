import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPortico } from './helpers/cli.js';

// API.md: with SQLite and no PORTICO_SECRET_KEY, the key is "generated into ./data/secret.key on
// first start, with a warning". Without that key no TOTP secret or audit entry can be read
// again, so whichever command creates it must say so — the usual first commands are
// `migrate` and `admin create`, not `serve` — and asking for help must not create it at all.
// (The key is SQLite's alone: this test runs on SQLite whatever the suite's database.)

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function freshFolder() {
  const dir = mkdtempSync(join(tmpdir(), 'portico-key-'));
  dirs.push(dir);
  const data = join(dir, 'data');
  return { key: join(data, 'secret.key'), env: { PORTICO_DATA_DIR: data, DATABASE_URL: `sqlite:${join(data, 'portico.db')}`, LOG_LEVEL: 'silent' } };
}

describe('the generated secret key', () => {
  it('is not created by help or by a bare `portico`', async () => {
    const { key, env } = freshFolder();
    for (const args of [['--help'], ['help'], []]) {
      await runPortico(args, env);
      expect(existsSync(key), `portico ${args.join(' ')}`).toBe(false);
    }
  });

  it('is announced on stderr by the command that creates it (migrate), once, in one line', async () => {
    const { key, env } = freshFolder();
    const first = await runPortico(['migrate'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(key)).toBe(true);
    const warning = first.stderr.split('\n').filter((l) => l.includes('secret key'));
    expect(warning).toHaveLength(1);
    expect(warning[0]).toContain(key);
    expect(warning[0]).toMatch(/back it up/);
    const again = await runPortico(['migrate'], env);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('secret key');
  });

  it('is not generated, nor announced, when PORTICO_SECRET_KEY is set', async () => {
    const { key, env } = freshFolder();
    const r = await runPortico(['migrate'], { ...env, PORTICO_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(key)).toBe(false);
    expect(r.stderr).not.toContain('secret key');
  });
});
