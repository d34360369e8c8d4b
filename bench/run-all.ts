/**
 * `npm run bench`: every benchmark in turn, each bounded to a few minutes. Pass-through flags
 * are not supported here; run a single benchmark with its own npm script for options.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
let failed = 0;
for (const name of ['startup', 'signin', 'second-step', 'contact-search', 'bulk-reset']) {
  console.log(`\n=== bench/${name}.ts ===`);
  const r = spawnSync(process.execPath, [tsx, join(root, 'bench', `${name}.ts`)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
