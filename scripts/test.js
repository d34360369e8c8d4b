#!/usr/bin/env node
// `npm test`: the whole suite on SQLite, then again on PostgreSQL when
// PORTICO_TEST_DATABASE_URL is set. Builds the web UI first so browser tests see the current
// code. Browser tests need Chromium (/usr/bin/chromium or PORTICO_CHROMIUM); without it they
// are skipped and this script says so. Ends with one line: "tests: N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const extra = process.argv.slice(2);

const build = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) {
  console.error('npm test: building the web UI failed');
  process.exit(1);
}

// The whole project type-checks (server, web, tests, benchmarks) before anything runs.
const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('npm test: the type check failed (see above)');
  process.exit(1);
}

const chromium = process.env.PORTICO_CHROMIUM || '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.log(`\nnpm test: browser tests are SKIPPED: no Chromium at ${chromium} (apt-get install chromium, or set PORTICO_CHROMIUM).\n`);
}

const runs = [{ name: 'SQLite', env: { PORTICO_TEST_DATABASE_URL: '' } }];
if (process.env.PORTICO_TEST_DATABASE_URL) runs.push({ name: 'PostgreSQL', env: { PORTICO_TEST_DATABASE_URL: process.env.PORTICO_TEST_DATABASE_URL } });
else console.log('npm test: PORTICO_TEST_DATABASE_URL is not set, so the suite runs on SQLite only.\n');

let passed = 0;
let failed = 0;
let skipped = 0;
let broken = false;
for (const run of runs) {
  console.log(`\n=== test suite on ${run.name} ===\n`);
  const out = join(mkdtempSync(join(tmpdir(), 'portico-vitest-')), 'report.json');
  const r = spawnSync(
    process.execPath,
    [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...extra],
    { cwd: root, stdio: 'inherit', env: { ...process.env, ...run.env } },
  );
  if (!existsSync(out)) {
    console.error(`npm test: the ${run.name} run produced no report (exit ${r.status})`);
    broken = true;
    continue;
  }
  const report = JSON.parse(readFileSync(out, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  // A file that failed to load counts as a failure even when no test inside it ran.
  const failedSuites = report.testResults.filter((s) => s.status === 'failed' && s.assertionResults.every((a) => a.status !== 'failed'));
  failed += failedSuites.length;
  if (r.status !== 0 && report.numFailedTests === 0 && failedSuites.length === 0) broken = true;
  console.log(`${run.name}: ${report.numPassedTests} passed, ${report.numFailedTests + failedSuites.length} failed, ${report.numPendingTests} skipped`);
}
console.log(`\ntests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || broken || passed === 0 ? 1 : 0);
