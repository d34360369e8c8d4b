import { sql, type RawBuilder } from 'kysely';
import type { Context } from '../context.js';

/** The MFA columns of the staff contact list (API.md). */
export interface MFASummary {
  enrolled: boolean;
  methods: string[];
  enrollmentRequired: boolean;
  locked: boolean;
}

/** MFA summaries for a page of accounts, in one query per table (never one per row). */
export async function summarizeMFA(_ctx: Context, _kind: 'contact' | 'staff', ids: string[]): Promise<Map<string, MFASummary>> {
  return new Map(ids.map((id) => [id, { enrolled: false, methods: [], enrollmentRequired: false, locked: false }]));
}

export type MFAFilter = 'enrolled' | 'not_enrolled' | 'locked' | 'enrollment_required';

/** SQL predicates on a `contacts` row for the contact list's MFA filter. */
export function mfaFilterConditions(filter: MFAFilter): RawBuilder<boolean>[] {
  return filter === 'not_enrolled' ? [] : [sql<boolean>`1 = 0`];
}
