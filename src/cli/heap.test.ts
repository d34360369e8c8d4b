import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { heapGrowthGiven } from './heap.js';

describe("the server's heap growth", () => {
  it("is the operator's when they set it on node's command line", () => {
    expect(heapGrowthGiven(['--heap-growing-percent=100'])).toBe(true);
    expect(heapGrowthGiven(['--heap_growing_percent=20'])).toBe(true);
    // What node itself hands the process for `node --heap-growing-percent=80 bin/portico.js serve`.
    const run = spawnSync(process.execPath, ['--heap-growing-percent=80', '-p', 'JSON.stringify(process.execArgv)'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(heapGrowthGiven(JSON.parse(run.stdout))).toBe(true);
  });

  it("cannot be given in NODE_OPTIONS: node refuses the flag there and never starts", () => {
    const run = spawnSync(process.execPath, ['-e', '0'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '--heap-growing-percent=80' } });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/--heap-growing-percent= is not allowed in NODE_OPTIONS/);
  });

  it("is Portico's otherwise, whatever else node was given", () => {
    expect(heapGrowthGiven([])).toBe(false);
    expect(heapGrowthGiven(['--enable-source-maps', '--max-semi-space-size=8', '--max-old-space-size=512'])).toBe(false);
    expect(heapGrowthGiven(['--heap-growing-percentage-typo'])).toBe(false);
  });
});
