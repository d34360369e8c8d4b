import { describe, expect, it } from 'vitest';
import { heapGrowthGiven } from './heap.js';

describe("the server's heap growth", () => {
  it("is the operator's when they set it on node's command line or in NODE_OPTIONS", () => {
    expect(heapGrowthGiven(['--heap-growing-percent=100'], undefined)).toBe(true);
    expect(heapGrowthGiven(['--heap_growing_percent=20'], undefined)).toBe(true);
    expect(heapGrowthGiven([], '--max-old-space-size=512 --heap-growing-percent=80')).toBe(true);
  });

  it("is Portico's otherwise, whatever else node was given", () => {
    expect(heapGrowthGiven([], undefined)).toBe(false);
    expect(heapGrowthGiven(['--enable-source-maps', '--max-semi-space-size=8'], '--max-old-space-size=512')).toBe(false);
    expect(heapGrowthGiven([], '--heap-growing-percentage-typo')).toBe(false);
  });
});
