import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS } from '../src/audit/actions.js';
import { describeAction as securityEventName } from '../web/src/shared/mfa/SecurityEventsCard.js';

// GET …/security-events lists every audit entry about the person, whatever its action, so
// "Recent security activity" must have words for each one (never "mfa.enrollment_required").
describe('recent security activity', () => {
  it('names every audit action in words, for the person it happened to', () => {
    // A name of its own: not the action's words with the dots taken out.
    const unnamed = AUDIT_ACTIONS.filter((a) => {
      const name = securityEventName(a);
      return /[._]/.test(name) || !/^[A-Z]/.test(name) || name.toLowerCase() === a.replace(/[._]+/g, ' ');
    });
    expect(unnamed).toEqual([]);
  });

  it('an action it does not know still reads as words', () => {
    expect(securityEventName('mfa.something_new')).toBe('Mfa something new');
  });
});
