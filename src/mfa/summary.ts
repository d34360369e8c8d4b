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
export async function summarizeMFA(ctx: Context, kind: 'contact' | 'staff', ids: string[]): Promise<Map<string, MFASummary>> {
  const out = new Map<string, MFASummary>(ids.map((id) => [id, { enrolled: false, methods: [], enrollmentRequired: false, locked: false }]));
  if (!ids.length) return out;
  const now = ctx.clock.now().toISOString();
  const [factors, states] = await Promise.all([
    ctx.db
      .selectFrom('mfa_factors')
      .select(['owner_id', 'type'])
      .distinct()
      .where('owner_kind', '=', kind)
      .where('owner_id', 'in', ids)
      .where('status', '=', 'active')
      .execute(),
    ctx.db.selectFrom('mfa_accounts').selectAll().where('owner_kind', '=', kind).where('owner_id', 'in', ids).execute(),
  ]);
  for (const f of factors) {
    const s = out.get(f.owner_id)!;
    s.enrolled = true;
    if (!s.methods.includes(f.type)) s.methods.push(f.type);
  }
  for (const a of states) {
    const s = out.get(a.owner_id)!;
    s.enrollmentRequired = a.enrollment_required === 1 || a.setup_required === 1;
    s.locked = a.hard_locked === 1 || (a.locked_until !== null && a.locked_until > now);
  }
  return out;
}

export type MFAFilter = 'enrolled' | 'not_enrolled' | 'locked' | 'enrollment_required';

/** SQL predicates on a `contacts` row for the contact list's MFA filter. */
export function mfaFilterConditions(filter: MFAFilter, now: string): RawBuilder<boolean>[] {
  const hasFactor = sql`EXISTS (SELECT 1 FROM mfa_factors f WHERE f.owner_kind = 'contact' AND f.owner_id = contacts.id AND f.status = 'active')`;
  switch (filter) {
    case 'enrolled':
      return [sql<boolean>`${hasFactor}`];
    case 'not_enrolled':
      return [sql<boolean>`NOT ${hasFactor}`];
    case 'locked':
      return [
        sql<boolean>`EXISTS (SELECT 1 FROM mfa_accounts a WHERE a.owner_kind = 'contact' AND a.owner_id = contacts.id AND (a.hard_locked = 1 OR a.locked_until > ${now}))`,
      ];
    case 'enrollment_required':
      return [
        sql<boolean>`EXISTS (SELECT 1 FROM mfa_accounts a WHERE a.owner_kind = 'contact' AND a.owner_id = contacts.id AND (a.enrollment_required = 1 OR a.setup_required = 1))`,
      ];
  }
}
