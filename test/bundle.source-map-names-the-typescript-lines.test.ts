import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join, resolve } from 'node:path';

// `portico` runs from a bundle of src/ (bin/portico.js). Its source map is a file beside it,
// mappings only, so that the process does not hold every source file's text in memory; an
// operator's stack traces must still name the TypeScript file and line. Node maps a stack
// frame through the same SourceMap.findEntry this test asks.
const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');

describe('the bundle portico runs from', () => {
  it('maps functions back to their TypeScript file and line, through a map file beside it', () => {
    // Any command builds the bundle when the sources are newer.
    const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'portico.js'), '--help'], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(run.stderr + run.stdout).toContain('usage: portico');

    const bundle = readFileSync(join(DIST, 'portico.mjs'), 'utf8');
    expect(bundle.trimEnd().split('\n').at(-1)).toBe('//# sourceMappingURL=portico.mjs.map');
    expect(bundle).not.toContain('sourceMappingURL=data:');
    const payload = JSON.parse(readFileSync(join(DIST, 'portico.mjs.map'), 'utf8'));
    expect(payload.sourcesContent).toBeUndefined();

    const map = new SourceMap(payload);
    const lines = bundle.split('\n');
    const places = [
      ['matchTOTPStep', 'src/mfa/totp.ts'],
      ['appendAuditEvents', 'src/audit/service.ts'],
      ['verifySecondStep', 'src/mfa/second-step.ts'],
    ] as const;
    for (const [name, file] of places) {
      const generated = lines.findIndex((l) => l.includes(`function ${name}(`));
      expect(generated, name).toBeGreaterThanOrEqual(0);
      const entry = map.findEntry(generated, lines[generated]!.indexOf(name)) as { originalSource: string; originalLine: number };
      // Sources are named relative to the map's folder, as Node resolves them.
      const source = resolve(DIST, entry.originalSource);
      expect(source).toBe(join(ROOT, file));
      expect(existsSync(source)).toBe(true);
      const tsLine = readFileSync(source, 'utf8').split('\n').findIndex((l) => l.includes(`function ${name}(`));
      expect(entry.originalLine, name).toBe(tsLine);
    }
  });
});
