import type { Executor } from '../db/index.js';
import type { ContactsTable, SessionsTable, StaffTable } from '../db/types.js';
import { sql } from 'kysely';
import { prepared } from '../db/prepared.js';

export type SessionKind = SessionsTable['kind'];
export type SessionLevel = SessionsTable['level'];

/**
 * The `expires_at` of a revoked session or remembered device: the row stays until housekeeping
 * deletes it, already expired for every check. A bulk reset revokes this way (see
 * src/recovery/bulk.ts); a rotation never revives such a row.
 */
export const REVOKED = '1970-01-01T00:00:00.000Z';

export interface SessionRow {
  idHash: string;
  kind: SessionKind;
  subjectID: string;
  level: SessionLevel;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  stepUpAt: string | null;
  ip: string | null;
  userAgent: string | null;
}

function toRow(r: SessionsTable): SessionRow {
  return {
    idHash: r.id_hash,
    kind: r.kind,
    subjectID: r.subject_id,
    level: r.level,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    expiresAt: r.expires_at,
    stepUpAt: r.step_up_at,
    ip: r.ip,
    userAgent: r.user_agent,
  };
}

const insertQuery = prepared<SessionsTable, never>((db, p) =>
  db.insertInto('sessions').values({
    id_hash: p.id_hash,
    kind: p.kind,
    subject_id: p.subject_id,
    level: p.level,
    created_at: p.created_at,
    last_seen_at: p.last_seen_at,
    expires_at: p.expires_at,
    step_up_at: p.step_up_at,
    ip: p.ip,
    user_agent: p.user_agent,
  }),
);

function toColumns(s: SessionRow): SessionsTable {
  return {
    id_hash: s.idHash,
    kind: s.kind,
    subject_id: s.subjectID,
    level: s.level,
    created_at: s.createdAt,
    last_seen_at: s.lastSeenAt,
    expires_at: s.expiresAt,
    step_up_at: s.stepUpAt,
    ip: s.ip,
    user_agent: s.userAgent,
  };
}

export async function insertSession(db: Executor, s: SessionRow): Promise<void> {
  await insertQuery.affected(db, toColumns(s));
}

const replaceQuery = prepared<SessionsTable & { old: string }, never>((db, p) =>
  db
    .updateTable('sessions')
    .set({ id_hash: p.id_hash, level: p.level, created_at: p.created_at, last_seen_at: p.last_seen_at, expires_at: p.expires_at, step_up_at: p.step_up_at, ip: p.ip, user_agent: p.user_agent })
    .where('id_hash', '=', p.old)
    .where('kind', '=', p.kind)
    .where('subject_id', '=', p.subject_id)
    .where('expires_at', '>', REVOKED),
);

/**
 * Gives the session `oldIdHash` a new id and new values in one conditional write; false when
 * that session no longer exists (another request rotated or revoked it first).
 */
export async function replaceSession(db: Executor, oldIdHash: string, s: SessionRow): Promise<boolean> {
  return (await replaceQuery.affected(db, { ...toColumns(s), old: oldIdHash })) === 1;
}

/** The row of a session's person, as the accounts store reads it (src/accounts/store.ts). */
export type SubjectRow = Omit<ContactsTable, 'seq'> | Omit<StaffTable, 'seq'>;

const SESSION_COLUMNS = ['id_hash', 'kind', 'subject_id', 'level', 'created_at', 'last_seen_at', 'expires_at', 'step_up_at', 'ip', 'user_agent'] as const;
const PERSON = {
  contact: { table: 'contacts', columns: ['id', 'email', 'name', 'password_hash', 'email_verified_at', 'created_at', 'updated_at'] },
  staff: { table: 'staff', columns: ['id', 'email', 'name', 'role', 'password_hash', 'active', 'created_at', 'updated_at'] },
} as const;

// Every signed-in request needs its session and its person: one statement reads both (one
// round trip fewer on PostgreSQL). The person's columns come back as p_<column>.
const sessionWithPerson = (kind: SessionKind) =>
  prepared<{ idHash: string }, SessionsTable & Record<string, unknown>>((db, p) =>
    db
      .selectFrom('sessions')
      .leftJoin(`${PERSON[kind].table} as p` as 'contacts as p', 'p.id', 'sessions.subject_id')
      .select([...SESSION_COLUMNS.map((c) => `sessions.${c}` as const), ...PERSON[kind].columns.map((c) => sql.ref(`p.${c}`).as(`p_${c}`))])
      .where('sessions.id_hash', '=', p.idHash)
      .where('sessions.kind', '=', kind),
  );
const findWithSubjectQuery = { contact: sessionWithPerson('contact'), staff: sessionWithPerson('staff') };
// Each person column with its alias, spelled once: building `p_${c}` for every column of every
// signed-in request made a new string that V8 had to look up before it could read the property.
const PERSON_ALIASES = {
  contact: PERSON.contact.columns.map((c) => [c, `p_${c}`] as const),
  staff: PERSON.staff.columns.map((c) => [c, `p_${c}`] as const),
};

/** A session of a kind with its person's row (null when the person is gone), or null. */
export async function findSessionWithSubject(db: Executor, kind: SessionKind, idHash: string): Promise<{ session: SessionRow; subject: SubjectRow | null } | null> {
  const r = await findWithSubjectQuery[kind].first(db, { idHash });
  if (!r) return null;
  let subject: Record<string, unknown> | null = null;
  if (r.p_id !== null) {
    subject = {};
    for (const [c, alias] of PERSON_ALIASES[kind]) subject[c] = r[alias];
  }
  return { session: toRow(r), subject: subject as SubjectRow | null };
}

const touchQuery = prepared<{ idHash: string; at: string }, never>((db, p) => db.updateTable('sessions').set({ last_seen_at: p.at }).where('id_hash', '=', p.idHash));

export async function touchSession(db: Executor, idHash: string, at: string): Promise<void> {
  await touchQuery.affected(db, { idHash, at });
}

/** Deletes one session; returns whether it existed (so a rotation can tell it won a race). */
const deleteQuery = prepared<{ idHash: string }, never>((db, p) => db.deleteFrom('sessions').where('id_hash', '=', p.idHash));

export async function deleteSession(db: Executor, idHash: string): Promise<boolean> {
  return (await deleteQuery.affected(db, { idHash })) > 0;
}

/** Deletes every session of a subject, optionally keeping one; returns how many went. */
export async function deleteSubjectSessions(db: Executor, kind: SessionKind, subjectID: string, keepIdHash?: string): Promise<number> {
  let q = db.deleteFrom('sessions').where('kind', '=', kind).where('subject_id', '=', subjectID);
  if (keepIdHash) q = q.where('id_hash', '!=', keepIdHash);
  const r = await q.executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function listSubjectSessions(db: Executor, kind: SessionKind, subjectID: string, now: string): Promise<SessionRow[]> {
  const rows = await db
    .selectFrom('sessions')
    .selectAll()
    .where('kind', '=', kind)
    .where('subject_id', '=', subjectID)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map(toRow);
}

