import { describe, expect, it } from 'vitest';
import { failureMessage } from './bulk.js';

// The bulk failures list says in words why a contact was not reset (PRODUCT.md §4.7). "Kept busy
// by other activity" sends the admin to simply try again; it must not be said of an error that
// only contains such a word inside another one.
const BUSY = /kept it busy/;

describe('failureMessage', () => {
  it('names contention for the databases\' contention errors', () => {
    for (const raw of ['deadlock detected', 'database is locked', 'SQLITE_BUSY: database is busy', 'could not obtain lock on row in relation "mfa_factors"', 'canceling statement due to lock timeout', 'could not serialize access due to concurrent update']) {
      expect(failureMessage(raw), raw).toMatch(BUSY);
    }
  });

  it('does not for an error that only has such letters inside a word', () => {
    for (const raw of ['null value in column "locked_until" violates not-null constraint', 'invalid block size', 'clock skew detected', 'injected failure: DELETE FROM mfa_factors refused']) {
      expect(failureMessage(raw), raw).not.toMatch(BUSY);
      expect(failureMessage(raw), raw).toMatch(/refused this contact's reset/);
    }
  });
});
