import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { errorLines, runCommand } from './commands.js';

/**
 * `portico <command>`: every command exits non-zero with one clear line on bad input, and
 * never prints a stack trace for a mistake the operator can fix.
 */
async function main(argv: string[]): Promise<number> {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  const { values } = parseArgs({
    args: argv.slice(words.length),
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      scopes: { type: 'string' },
      days: { type: 'string' },
      reason: { type: 'string' },
      staff: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  return runCommand(words, values, () => {
    const config = loadConfig();
    // Whichever command creates the key says so (the usual order is migrate, admin create,
    // then serve, and only serve used to): without it no TOTP secret and no audit entry can be
    // read again, so the operator must hear about it the first time.
    if (config.secretKeyGenerated) {
      console.error(`portico: generated a new secret key in ${config.dataDir}/secret.key: back it up with the database (TOTP secrets and the audit chain need it), or set PORTICO_SECRET_KEY`);
    }
    return config;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    // serve keeps the process alive by itself; every other command ends here.
    if (code !== -1) process.exit(code);
  },
  (error: unknown) => {
    // A configuration problem per line, else one line: never a stack trace, never empty.
    for (const line of errorLines(error)) console.error(line);
    process.exit(1);
  },
);
