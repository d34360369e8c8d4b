import { setFlagsFromString } from 'node:v8';

/**
 * How far the server's heap may grow past what the last full garbage collection left alive.
 * Left to itself, V8 picks a factor between 1.1 and 4 from how fast collection runs against
 * the program; under a steady sign-in load (bench/second-step.ts, 50 connections) that let the
 * old generation hold tens of MB of dead objects, and `portico serve` peaked at 183-207 MB
 * (over 200 MB in 4 of 14 runs). At 50 % it peaks at 174-181 MB: full collections come more
 * often (five against two in a run of 25,000 verifications, about 1 µs each of mostly
 * concurrent marking), with no measurable change in the event loop's time per request
 * (bench/README.md, session 15).
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Whether the operator set the heap's growth already, on node's own command line
 * (`node --heap-growing-percent=80 bin/portico.js serve`). That is the only place it can be
 * given: node refuses the flag in NODE_OPTIONS ("--heap-growing-percent= is not allowed in
 * NODE_OPTIONS") and exits before any of Portico runs.
 */
export function heapGrowthGiven(execArgv: readonly string[]): boolean {
  return execArgv.some((a) => /^--heap[-_]growing[-_]percent(=|$)/.test(a));
}

/**
 * Bounds the heap's growth for the long-running server, unless the operator chose otherwise.
 * V8 reads this flag each time it sets the next collection's limit, so setting it once the
 * process runs takes effect from the next full collection. Returns whether it was set.
 */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  if (heapGrowthGiven(execArgv)) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
