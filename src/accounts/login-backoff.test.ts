import { describe, expect, it } from 'vitest';
import { waitAfter } from './login-backoff.js';

describe('waitAfter', () => {
  it('allows the first five failures freely', () => {
    for (let n = 0; n < 5; n++) expect(waitAfter(n)).toBe(0);
  });
  it('then doubles from one second', () => {
    expect(waitAfter(5)).toBe(1000);
    expect(waitAfter(6)).toBe(2000);
    expect(waitAfter(7)).toBe(4000);
    expect(waitAfter(14)).toBe(512_000);
  });
  it('never waits more than 15 minutes, however many failures', () => {
    expect(waitAfter(15)).toBe(15 * 60_000);
    expect(waitAfter(100)).toBe(15 * 60_000);
    expect(waitAfter(10_000)).toBe(15 * 60_000);
  });
});
