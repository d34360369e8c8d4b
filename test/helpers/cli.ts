import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');

export interface CLIRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `portico …` as a real child process with only the given environment. */
export function runPortico(args: string[], env: Record<string, string>, stdin = '', cwd = ROOT): Promise<CLIRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/portico.js'), ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
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

/** A `portico serve` child process whose exit is never missed and whose output is kept. */
export interface ServeProcess {
  child: ChildProcess;
  /** Settles when the process has exited, however and whenever that happened. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** What the process printed so far (stdout and stderr, interleaved), for failure messages. */
  output(): string;
  /** SIGKILL, then wait for the exit (at once if it had already exited). */
  kill9(): Promise<void>;
}

/** Starts `portico serve` as a real child process with only the given environment. */
export function servePortico(env: Record<string, string>, cwd = ROOT): ServeProcess {
  const child = spawn(process.execPath, [join(ROOT, 'bin/portico.js'), 'serve'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let done = false;
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.once('exit', (code, signal) => {
      done = true;
      res({ code, signal });
    });
    child.once('error', (error) => {
      done = true;
      out += `\n(spawn failed: ${error.message})`;
      res({ code: null, signal: null });
    });
  });
  return {
    child,
    exited,
    hasExited: () => done,
    output: () => out,
    async kill9() {
      if (!done) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A TCP port free on 127.0.0.1 right now, for a `portico serve` the test starts. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolvePort(port));
    });
  });
}
