import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../db/index.js';
import { prepared } from '../db/prepared.js';
import type { ContactsTable, StaffTable } from '../db/types.js';

export type AccountKind = 'contact' | 'staff';
export type StaffRole = StaffTable['role'];

/** A contact (customer) or a staff member: the two kinds of people who sign in. */
export interface Account {
  kind: AccountKind;
  id: string;
  email: string;
  name: string;
  passwordHash: string | null;
  emailVerifiedAt: string | null;
  role: StaffRole | null;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

type Row = Omit<ContactsTable, 'seq'> | Omit<StaffTable, 'seq'>;

export function toAccount(kind: AccountKind, r: Row & { seq?: unknown }): Account {
  const staff = kind === 'staff' ? (r as StaffTable) : null;
  const contact = kind === 'contact' ? (r as ContactsTable) : null;
  return {
    kind,
    id: r.id,
    email: r.email,
    name: r.name,
    passwordHash: r.password_hash,
    // Staff are invited to an address and accept from it, so theirs counts as verified.
    emailVerifiedAt: contact ? contact.email_verified_at : r.created_at,
    role: staff?.role ?? null,
    active: staff ? staff.active === 1 : true,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const table = (kind: AccountKind) => (kind === 'contact' ? 'contacts' : 'staff') as 'contacts';

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

// Every signed-in request and every sign-in looks a person up: built once (src/db/prepared.ts).
const byEmail = {
  contact: prepared<{ email: string }, ContactsTable>((db, p) => db.selectFrom('contacts').selectAll().where('email', '=', p.email)),
  staff: prepared<{ email: string }, StaffTable>((db, p) => db.selectFrom('staff').selectAll().where('email', '=', p.email)),
};
const byID = {
  contact: prepared<{ id: string }, ContactsTable>((db, p) => db.selectFrom('contacts').selectAll().where('id', '=', p.id)),
  staff: prepared<{ id: string }, StaffTable>((db, p) => db.selectFrom('staff').selectAll().where('id', '=', p.id)),
};

export async function findAccountByEmail(db: Executor, kind: AccountKind, email: string): Promise<Account | null> {
  const r = await byEmail[kind].first(db, { email: normalizeEmail(email) });
  return r ? toAccount(kind, r) : null;
}

export async function findAccountByID(db: Executor, kind: AccountKind, id: string): Promise<Account | null> {
  const r = await byID[kind].first(db, { id });
  return r ? toAccount(kind, r) : null;
}

/**
 * A person as they stand now, read in `trx` and held for the rest of it (PostgreSQL: a share
 * lock on their row). A staff change (role, deactivation) writes that row, so it waits for
 * `trx`, or `trx` for it: whatever `trx` decides from the role and status it reads here comes
 * wholly before or after such a change. SQLite runs one transaction at a time already.
 */
export async function findAccountHeld(trx: Executor, dialect: 'sqlite' | 'postgres', kind: AccountKind, id: string): Promise<Account | null> {
  if (dialect !== 'postgres') return findAccountByID(trx, kind, id);
  const r = await trx.selectFrom(table(kind)).selectAll().where('id', '=', id).forShare().executeTakeFirst();
  return r ? toAccount(kind, r as unknown as Row) : null;
}

export async function insertContact(db: Executor, c: Omit<ContactsTable, 'seq'>): Promise<void> {
  await db.insertInto('contacts').values(c).execute();
}

export async function insertStaff(db: Executor, s: Omit<StaffTable, 'seq'>): Promise<void> {
  await db.insertInto('staff').values(s).execute();
}

export async function updatePassword(db: Executor, kind: AccountKind, id: string, hash: string, at: string): Promise<void> {
  await db.updateTable(table(kind)).set({ password_hash: hash, updated_at: at }).where('id', '=', id).execute();
}

export async function updateProfile(db: Executor, kind: AccountKind, id: string, fields: { name?: string; email?: string }, at: string): Promise<void> {
  await db.updateTable(table(kind)).set({ ...fields, updated_at: at }).where('id', '=', id).execute();
}

export async function markEmailVerified(db: Executor, id: string, at: string): Promise<void> {
  await db.updateTable('contacts').set({ email_verified_at: at, updated_at: at }).where('id', '=', id).where('email_verified_at', 'is', null).execute();
}

export async function updateStaff(db: Executor, id: string, fields: { role?: StaffRole; active?: number }, at: string): Promise<void> {
  await db.updateTable('staff').set({ ...fields, updated_at: at }).where('id', '=', id).execute();
}

/**
 * The ids of the active admins. On PostgreSQL their rows stay locked until the transaction
 * ends, taken in id order (so two transactions taking them never deadlock): two admins changing
 * each other at once queue up and the second sees the first's change. Under READ COMMITTED a
 * plain read would let both see "I am an admin" and "another admin is left", and leave none.
 */
export async function lockActiveAdmins(trx: Executor, dialect: 'sqlite' | 'postgres'): Promise<string[]> {
  const q = trx.selectFrom('staff').select('id').where('role', '=', 'admin').where('active', '=', 1).orderBy('id');
  const rows = await (dialect === 'postgres' ? q.forUpdate() : q).execute();
  return rows.map((r) => r.id);
}

export async function countAdminsWithPassword(db: Executor): Promise<number> {
  const r = await db
    .selectFrom('staff')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'admin')
    .where('active', '=', 1)
    .where('password_hash', 'is not', null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Every staff member, newest first (for lookups such as "all active admins", not for pages). */
export async function listStaff(db: Executor): Promise<Account[]> {
  const rows = await db.selectFrom('staff').selectAll().orderBy('seq', 'desc').execute();
  return rows.map((r) => toAccount('staff', r));
}

export interface StaffPage {
  items: Account[];
  nextCursor: string | null;
}

/**
 * One page of staff, newest first, keyset-paged on the insertion sequence as contacts are: the
 * cursor is the `seq` of the page's last row, so a page never repeats or skips a staff member
 * who existed when the first page was read, whoever is invited in between.
 */
export async function listStaffPage(db: Executor, opts: { limit: number; beforeSeq?: number }): Promise<StaffPage> {
  let q = db.selectFrom('staff').selectAll();
  if (opts.beforeSeq !== undefined) q = q.where('seq', '<', opts.beforeSeq);
  const rows = await q.orderBy('seq', 'desc').limit(opts.limit + 1).execute();
  const page = rows.slice(0, opts.limit);
  return { items: page.map((r) => toAccount('staff', r)), nextCursor: rows.length > opts.limit ? String(page[page.length - 1].seq) : null };
}

export interface ContactPage {
  items: Array<Account & { seq: number }>;
  nextCursor: string | null;
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Contacts newest first, keyset-paged on the insertion sequence, optionally filtered by a
 * substring of name or email. SQLite searches a trigram FTS5 index, PostgreSQL a pg_trgm GIN
 * index; queries shorter than three characters fall back to a prefix match.
 * `conditions` are extra SQL predicates on the `contacts` row (the MFA filters add them).
 */
export async function searchContacts(
  db: Executor,
  dialect: 'sqlite' | 'postgres',
  opts: { query?: string; limit: number; beforeSeq?: number; conditions?: RawBuilder<boolean>[] },
): Promise<ContactPage> {
  let q = db.selectFrom('contacts').selectAll();
  const term = opts.query?.trim().toLowerCase();
  if (term && term.length >= 3) {
    if (dialect === 'sqlite') {
      const phrase = `"${term.replace(/"/g, '""')}"`;
      q = q.where(sql<boolean>`contacts.seq IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ${phrase})`);
    } else {
      q = q.where(sql<boolean>`(lower(contacts.name) || ' ' || contacts.email) LIKE ${`%${likeEscape(term)}%`}`);
    }
  } else if (term) {
    const prefix = `${likeEscape(term)}%`;
    q = q.where(sql<boolean>`(contacts.email LIKE ${prefix} ESCAPE '\\' OR lower(contacts.name) LIKE ${prefix} ESCAPE '\\')`);
  }
  if (opts.beforeSeq !== undefined) q = q.where('seq', '<', opts.beforeSeq);
  for (const c of opts.conditions ?? []) q = q.where(c);
  const rows = await q.orderBy('seq', 'desc').limit(opts.limit + 1).execute();
  const page = rows.slice(0, opts.limit).map((r) => ({ ...toAccount('contact', r), seq: Number(r.seq) }));
  return { items: page, nextCursor: rows.length > opts.limit ? String(page[page.length - 1].seq) : null };
}
