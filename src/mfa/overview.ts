import { sql } from 'kysely';
import { DAY } from '../clock.js';
import type { Context } from '../context.js';

/**
 * The admins' MFA overview (issue: share of customers enrolled, by method; customers with a
 * single factor; locked accounts; resets in the last 30 days by staff member). Each figure is
 * one aggregate query, so it stays quick at a million contacts.
 */
export async function mfaOverview(ctx: Context) {
  const now = ctx.clock.now();
  const nowISO = now.toISOString();
  const since = new Date(now.getTime() - 30 * DAY).toISOString();
  const db = ctx.db;
  const [total, perContact, byMethod, locked, required, resets, daily, bulk] = await Promise.all([
    db.selectFrom('contacts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    db
      .selectFrom(
        db.selectFrom('mfa_factors').select(['owner_id', (eb) => eb.fn.countAll<number>().as('k')]).where('owner_kind', '=', 'contact').where('status', '=', 'active').groupBy('owner_id').as('per'),
      )
      .select([(eb) => eb.fn.countAll<number>().as('enrolled'), sql<number>`SUM(CASE WHEN per.k = 1 THEN 1 ELSE 0 END)`.as('single')])
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('mfa_factors')
      .select(['type', sql<number>`COUNT(DISTINCT owner_id)`.as('n')])
      .where('owner_kind', '=', 'contact')
      .where('status', '=', 'active')
      .groupBy('type')
      .execute(),
    db
      .selectFrom('mfa_accounts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('owner_kind', '=', 'contact')
      .where((eb) => eb.or([eb('hard_locked', '=', 1), eb('locked_until', '>', nowISO)]))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('mfa_accounts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('owner_kind', '=', 'contact')
      .where((eb) => eb.or([eb('enrollment_required', '=', 1), eb('setup_required', '=', 1)]))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('audit_events')
      .leftJoin('staff', 'staff.id', 'audit_events.actor_id')
      .select(['audit_events.actor_id', 'staff.name', (eb) => eb.fn.countAll<number>().as('n')])
      .where('audit_events.action', 'in', ['mfa.reset', 'mfa.factor.removed_by_staff', 'mfa.temporary_code.issued', 'mfa.enrollment_required'])
      .where('audit_events.actor_type', '=', 'staff')
      .where('audit_events.at', '>=', since)
      .where(sql<boolean>`(audit_events.details IS NULL OR audit_events.details NOT LIKE '%"bulkJobId"%')`)
      .groupBy(['audit_events.actor_id', 'staff.name'])
      .orderBy('n', 'desc')
      .execute(),
    db
      .selectFrom('audit_events')
      .select([sql<string>`substr(at, 1, 10)`.as('day'), (eb) => eb.fn.countAll<number>().as('n')])
      .where('action', '=', 'mfa.reset')
      .where('at', '>=', since)
      .groupBy(sql`substr(at, 1, 10)`)
      .execute(),
    db.selectFrom('bulk_jobs').select([sql<number>`COALESCE(SUM(done), 0)`.as('n'), (eb) => eb.fn.countAll<number>().as('jobs')]).where('created_at', '>=', since).where('status', '!=', 'preparing').executeTakeFirstOrThrow(),
  ]);
  const days = new Map(daily.map((d) => [d.day, Number(d.n)]));
  const series = Array.from({ length: 30 }, (_, i) => {
    const day = new Date(now.getTime() - (29 - i) * DAY).toISOString().slice(0, 10);
    return { day, resets: days.get(day) ?? 0 };
  });
  return {
    contacts: Number(total.n),
    enrolled: Number(perContact.enrolled),
    singleFactor: Number(perContact.single ?? 0),
    byMethod: Object.fromEntries(['totp', 'webauthn'].map((m) => [m, Number(byMethod.find((b) => b.type === m)?.n ?? 0)])),
    locked: Number(locked.n),
    enrollmentRequired: Number(required.n),
    resetsLast30Days: {
      byStaff: resets.map((r) => ({ staffId: r.actor_id, name: r.name ?? '(deleted staff member)', actions: Number(r.n) })),
      bulk: { jobs: Number(bulk.jobs), contactsReset: Number(bulk.n) },
      daily: series,
    },
  };
}
