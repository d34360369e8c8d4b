import { describe, expect, it } from 'vitest';
import { isSafeNext, pathForState } from '../web/src/shared/paths.js';

/**
 * PRODUCT.md §7 (no open redirects): after signing in, the web app goes to `?next=` only when
 * it is a path of the same app. Browsers read `\` as `/` in a URL, so `/\evil.example` leaves
 * the site like `//evil.example` does.
 */
describe('a sign-in next target', () => {
  it.each([
    ['//evil.example', false],
    ['/\\evil.example', false],
    ['/\\/evil.example', false],
    ['/\t/evil.example', false],
    ['/tick\nets', false],
    ['https://evil.example', false],
    ['/admin/tickets', false],
    ['/tickets/tk_1', true],
    ['/account/security?tab=devices', true],
  ])('%j for the help center: %s', (next, safe) => {
    expect(isSafeNext('contact', next)).toBe(safe);
    expect(pathForState('contact', 'authenticated', next)).toBe(safe ? next : '/tickets');
  });

  it('keeps the console to its own paths', () => {
    expect(isSafeNext('staff', '/admin/contacts')).toBe(true);
    expect(isSafeNext('staff', '/admin\\evil.example')).toBe(false);
    expect(isSafeNext('staff', '/tickets')).toBe(false);
  });
});
