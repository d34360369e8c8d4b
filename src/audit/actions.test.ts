import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS } from './actions.js';
import { KNOWN_ACTIONS } from '../../web/src/admin/audit/action-names.js';

describe('audit action names', () => {
  it('are dotted words, each listed once', () => {
    for (const a of AUDIT_ACTIONS) expect(a).toMatch(/^[a-z_]+(\.[a-z_]+)+$/);
    expect(new Set(AUDIT_ACTIONS).size).toBe(AUDIT_ACTIONS.length);
  });

  it('all have a readable name in the console (the audit page offers exactly these)', () => {
    expect([...KNOWN_ACTIONS].sort()).toEqual([...AUDIT_ACTIONS].sort());
  });
});
