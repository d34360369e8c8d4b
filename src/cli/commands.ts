import { spawnSync } from 'node:child_process';
import { z } from 'zod';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, type Config } from '../config.js';
import type { Context } from '../context.js';
import { createRuntime } from '../runtime.js';
import { openDatabase } from '../db/index.js';
import { migrateToLatest } from '../db/migrate.js';
import { AppError } from '../http/errors.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../crypto/password.js';
import { createStaffWithPassword, ensureFirstAdminSetupLink } from '../accounts/staff.js';
import { verifyAuditChain } from '../audit/service.js';
import { findAccountByEmail, type StaffRole } from '../accounts/service.js';
import { PLAIN_EMAIL_ADDRESS } from '../accounts/mailbox.js';
import { nameSchema } from '../http/schemas.js';
import { createAPIToken, SCOPES } from '../sessions/api-tokens.js';
import { breakGlassReset } from '../recovery/break-glass.js';
import { startServer } from './serve.js';

export class CLIError extends Error {}

/**
 * The lines `portico` prints for an error that ended a command: one `portico: …` line (one per
 * problem for a bad configuration), never an empty message and never a line break inside one.
 * An AggregateError (Node connecting to a host with several addresses, every one refused) has
 * an empty message of its own: its inner errors' messages say what happened.
 */
export function errorLines(error: unknown): string[] {
  if (error instanceof ConfigError) return error.problems.map((p) => `portico: configuration: ${oneLine(p) || 'not valid'}`);
  return [`portico: ${describeError(error) || 'failed with an error that says nothing more (no message)'}`];
}

function describeError(error: unknown, depth = 0): string {
  if (error instanceof AggregateError && depth < 3) {
    const inner = [...new Set(error.errors.map((e: unknown) => describeError(e, depth + 1)).filter(Boolean))].join('; ');
    const own = oneLine(error.message);
    if (own && inner) return `${own}: ${inner}`;
    if (own || inner) return own || inner;
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return oneLine(error.message) || (typeof code === 'string' || typeof code === 'number' ? String(code) : '') || (error.name !== 'Error' && error.name !== 'AggregateError' ? error.name : '');
  }
  return oneLine(typeof error === 'string' ? error : error === undefined || error === null ? '' : String(error));
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

export interface Flags {
  email?: string;
  name?: string;
  role?: string;
  scopes?: string;
  days?: string;
  reason?: string;
  staff?: boolean;
  help?: boolean;
}

export const USAGE = `usage: portico <command>
  serve                                   migrate, then serve (prints a setup link on a new installation)
  migrate                                 apply pending migrations and exit
  admin create --email E --name N         create an admin (password on stdin)
  staff create --email E --name N --role agent|supervisor|admin   (password on stdin)
  token create --email STAFF_EMAIL --name N --scopes s1,s2 [--days 90]   print a new API token
  mfa reset --email E --reason R [--staff]  break-glass MFA reset (audited as cli, admins emailed)
  audit verify                            check the audit chain (exit 1 if broken)`;

/** The password: typed at a terminal (not shown), or the whole of stdin (a pipe, a file). */
async function readPassword(): Promise<string> {
  let password: string;
  if (process.stdin.isTTY) password = await readHiddenLine('Password: ');
  else {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw new CLIError(`the password (on stdin) must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`);
  }
  return password;
}

/**
 * One line typed at the terminal, without echoing it (the terminal in raw mode, as `sudo` and
 * `ssh` read passwords): Enter ends it, Backspace takes back a character, Ctrl-C cancels.
 */
function readHiddenLine(prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let typed: string[] = [];
    const finish = (error?: CLIError) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed.join(''));
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new CLIError('cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed.push(ch);
      }
    };
    // Raw before the prompt shows: keys typed the moment it appears must not be echoed.
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
    process.stderr.write(prompt);
  });
}

function need(value: string | undefined, flag: string): string {
  if (!value || !value.trim()) throw new CLIError(`missing ${flag}`);
  return value.trim();
}

/**
 * What POST /api/v1/api-tokens takes (its body schema in src/sessions/routes.ts): the CLI makes
 * no token the API would refuse. The staff name's limit is the API's own `nameSchema`.
 */
const tokenNameSchema = z.string().trim().min(1).max(100);
const TOKEN_DAYS_MIN = 1;
const TOKEN_DAYS_MAX = 365;
const TOKEN_DAYS_DEFAULT = 90;

/** `--name`, trimmed, as the API's `schema` takes it (the same length, counted the same way). */
function checkName(value: string | undefined, schema: z.ZodString): string {
  const name = need(value, '--name');
  if (!schema.safeParse(name).success) throw new CLIError(`--name must be at most ${schema.maxLength} characters (this one has ${name.length})`);
  return name;
}

/** `--scopes s1,s2`: at least one scope, every one known. */
function checkScopes(value: string | undefined): string[] {
  const scopes = need(value, '--scopes').split(',').map((x) => x.trim()).filter(Boolean);
  if (!scopes.length) throw new CLIError(`--scopes: name at least one scope (known: ${SCOPES.join(', ')})`);
  const bad = scopes.filter((x) => !(SCOPES as readonly string[]).includes(x));
  if (bad.length) throw new CLIError(`--scopes: unknown scope ${bad.join(', ')} (known: ${SCOPES.join(', ')})`);
  return [...new Set(scopes)];
}

/** `--days`: digits only (no `1e2`, `0x10`, `2.0` or sign), from 1 to 365; 90 when left out. */
function checkDays(value: string | undefined): number {
  if (value === undefined) return TOKEN_DAYS_DEFAULT;
  const days = /^\d{1,6}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!(days >= TOKEN_DAYS_MIN && days <= TOKEN_DAYS_MAX)) throw new CLIError(`--days must be a whole number from ${TOKEN_DAYS_MIN} to ${TOKEN_DAYS_MAX}`);
  return days;
}

function checkEmail(email: string): string {
  if (!PLAIN_EMAIL_ADDRESS.test(email) || email.length > 254) throw new CLIError(`--email: "${email}" is not an email address (a plain name@example.com)`);
  return email;
}

/** Builds the web UI when it has not been built yet (the first `npm start`). */
export function ensureWebBuilt(): void {
  const root = resolve(import.meta.dirname, '..', '..');
  if (existsSync(join(root, 'web', 'dist', 'index.html'))) return;
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) {
    console.error('portico: the web UI is not built and vite is not installed (run npm install); serving the API only');
    return;
  }
  console.error('portico: building the web UI (first start)…');
  const r = spawnSync(process.execPath, [vite, 'build', '--config', join(root, 'web', 'vite.config.ts'), '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new CLIError('building the web UI failed (see above)');
}

/**
 * Runs a one-shot command on the database. No background runners start (a CLI process must
 * never claim a bulk job's lease and then exit); the emails the command queued are delivered
 * before it closes. A service's "no" becomes the one clear line of a CLIError.
 */
async function withRuntime(config: Config, fn: (ctx: Context) => Promise<number>): Promise<number> {
  const rt = await createRuntime(config, { deliverMail: false, runJobs: false });
  try {
    const code = await fn(rt.ctx);
    await rt.ctx.mailer.deliverDue();
    return code;
  } catch (error) {
    if (error instanceof AppError) throw new CLIError(error.message);
    throw error;
  } finally {
    await rt.close();
  }
}

/** Runs one command; returns the exit code, or -1 when the process should stay up (serve). */
export async function runCommand(words: string[], flags: Flags, loadConfig: () => Config): Promise<number> {
  const command = words.join(' ');
  if (flags.help || command === '' || command === 'help') {
    console.log(USAGE);
    return command === '' && !flags.help ? 1 : 0;
  }
  // Only now: reading the configuration can create the secret key, which help never should.
  const config = loadConfig();
  switch (command) {
    case 'serve': {
      ensureWebBuilt();
      await startServer(config);
      return -1;
    }
    case 'migrate': {
      const { db, dialect, close } = await openDatabase(config.databaseURL);
      try {
        const applied = await migrateToLatest(db, dialect);
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'the database is up to date');
      } finally {
        await close();
      }
      return 0;
    }
    case 'admin create':
    case 'staff create': {
      const email = checkEmail(need(flags.email, '--email'));
      const name = checkName(flags.name, nameSchema);
      const role = (command === 'admin create' ? 'admin' : need(flags.role, '--role')) as StaffRole;
      if (!['agent', 'supervisor', 'admin'].includes(role)) throw new CLIError(`--role must be agent, supervisor or admin, not "${role}"`);
      const password = await readPassword();
      return withRuntime(config, async (ctx) => {
        const s = await createStaffWithPassword(ctx, { email, name, role, password });
        console.log(`created ${role} ${s.email} (${s.id}); sign in at ${config.publicURL}/admin`);
        return 0;
      });
    }
    case 'audit verify':
      return withRuntime(config, async (ctx) => {
        const r = await verifyAuditChain(ctx);
        if (r.ok) {
          console.log(`ok: ${r.checked} entries, head ${r.headHash}`);
          return 0;
        }
        console.log(`broken: ${r.problem}${r.firstBrokenId ? ` (first broken entry ${r.firstBrokenId})` : ''}; ${r.checked} entries verified before it`);
        return 1;
      });
    case 'token create': {
      const email = checkEmail(need(flags.email, '--email'));
      const name = checkName(flags.name, tokenNameSchema);
      const scopes = checkScopes(flags.scopes);
      const days = checkDays(flags.days);
      return withRuntime(config, async (ctx) => {
        const owner = await findAccountByEmail(ctx, 'staff', email);
        if (!owner || !owner.active) throw new CLIError(`no active staff member has email ${email}`);
        const t = await createAPIToken(ctx, { type: 'cli', id: null }, owner, { name, scopes, expiresInDays: days }, { ip: null, userAgent: 'portico-cli' });
        console.log(t.token);
        console.error(`created API token ${t.id} for ${owner.email}, scopes ${t.scopes.join(',')}, expires ${t.expiresAt}; it is shown only now`);
        return 0;
      });
    }
    case 'mfa reset': {
      const email = checkEmail(need(flags.email, '--email'));
      const reason = need(flags.reason, '--reason');
      if (reason.length > 1000) throw new CLIError('--reason must be at most 1000 characters');
      return withRuntime(config, async (ctx) => {
        const r = await breakGlassReset(ctx, flags.staff ? 'staff' : 'contact', email, reason);
        console.log(
          `reset MFA of ${email}: ${r.factorsRemoved} factors, ${r.recoveryCodesRemoved} recovery codes, ${r.rememberedDevicesRemoved} remembered devices removed; ${r.sessionsRevoked} sessions ended; a setup link was emailed (no waiting period: the break-glass is exempt)`,
        );
        return 0;
      });
    }
    case 'setup-link':
      return withRuntime(config, async (ctx) => {
        const url = await ensureFirstAdminSetupLink(ctx);
        console.log(url ?? 'an admin has already set a password; no setup link is needed');
        return 0;
      });
    default:
      throw new CLIError(`unknown command "${command}" (try: portico help)`);
  }
}
