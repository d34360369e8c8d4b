import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signInStaff, type TestApp } from './helpers/app.js';

/**
 * `portico staff create` and `admin create` read the password from stdin. Typed at a terminal
 * it was echoed as typed (and read until Ctrl-D): anyone looking at the screen, or a terminal
 * recording, had it. Now a terminal gets a prompt, nothing is shown, and Enter ends the
 * password. Run under `script`, which gives the command a real pseudo-terminal and records
 * everything the terminal shows.
 */
const ROOT = resolve(import.meta.dirname, '..');
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

/** Runs the command on a terminal; types `keys` once the password prompt shows. */
function atTerminal(args: string[], keys: string): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, join(ROOT, 'bin/portico.js'), ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...t.cliEnv() } });
  let screen = '';
  let typed = false;
  child.stdout.on('data', (d: Buffer) => {
    screen += d.toString('utf8');
    if (!typed && screen.includes('Password: ')) {
      typed = true;
      child.stdin.write(keys);
    }
  });
  child.stderr.on('data', (d: Buffer) => (screen += d.toString('utf8')));
  // A command still waiting (for Ctrl-D, say) is ended, and fails on its exit code.
  const stop = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(stop);
      done({ code, screen });
    });
  });
}

describe('a password typed at a terminal', () => {
  it('is not shown, ends with Enter, and Backspace takes a character back', async () => {
    const email = 'typed-at-a-terminal@example.com';
    // "…passwordX", Backspace, Enter: the password is "correct horse battery".
    const r = await atTerminal(['staff', 'create', '--email', email, '--name', 'Terry Terminal', '--role', 'agent'], 'correct horse batteryX\u007f\r');
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toContain('Password: ');
    expect(r.screen).toContain(`created agent ${email}`);
    expect(r.screen).not.toContain('correct horse');
    expect(r.screen).not.toContain('*');
    await signInStaff(t, email, 'correct horse battery');
  });

  it('Ctrl-C cancels with one line and a non-zero exit, creating nobody', async () => {
    const email = 'cancelled-at-a-terminal@example.com';
    const r = await atTerminal(['staff', 'create', '--email', email, '--name', 'Cancelled', '--role', 'agent'], 'half a pass\u0003');
    expect(r.code).not.toBe(0);
    expect(r.screen).toMatch(/portico: cancelled/);
    expect(r.screen).not.toContain('half a pass');
    expect(await t.ctx.db.selectFrom('staff').select('id').where('email', '=', email).executeTakeFirst()).toBeUndefined();
  });
});
