import type { Account } from '../../src/accounts/service.js';
import { COOKIES } from '../../src/http/cookies.js';
import { startSession } from '../../src/sessions/service.js';
import type { Client } from './client.js';
import { createStaff, type TestApp } from './app.js';

/**
 * A staff client holding a fully signed-in session with a fresh step-up, started directly
 * through the sessions service. Supervisors and admins must pass a second step to sign in;
 * tests of what a role may do (rather than of how MFA sign-in works) start here instead.
 */
export async function fullStaffClient(t: TestApp, account: Account): Promise<Client> {
  const c = t.client();
  const { token } = await startSession(t.ctx, t.ctx.db, 'staff', account.id, 'full', { ip: '127.0.0.1', userAgent: 'test' }, { stepUp: true });
  c.cookies.set(COOKIES.staff, token);
  return c;
}

/** A new staff member of a role with a fully signed-in client. */
export async function staffWithRole(t: TestApp, role: 'agent' | 'supervisor' | 'admin'): Promise<{ account: Account; client: Client }> {
  const account = await createStaff(t, role);
  return { account, client: await fullStaffClient(t, account) };
}

/** Counts rows of a table through the test's own database handle. */
export async function countRows(t: TestApp, table: 'contacts' | 'staff' | 'tickets' | 'ticket_messages' | 'sessions' | 'audit_events' | 'outbox' | 'email_tokens'): Promise<number> {
  const r = await t.ctx.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
