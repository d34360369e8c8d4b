import type { StaffRole } from '../accounts/store.js';

/**
 * Who may use the MFA toolkit on whose account (PRODUCT.md §4): supervisors and admins on a
 * customer's, only admins on a staff member's. One rule for acting (lockTarget) and for what a
 * cut authority takes back (ended-authority.ts), so the two never disagree.
 */
export function mayActOn(role: StaffRole, ownerKind: 'contact' | 'staff'): boolean {
  return ownerKind === 'staff' ? role === 'admin' : role !== 'agent';
}
