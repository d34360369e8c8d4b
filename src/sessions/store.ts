import type { Executor } from '../db/index.js';
import type { SessionsTable } from '../db/types.js';

export type SessionKind = SessionsTable['kind'];
export type SessionLevel = SessionsTable['level'];

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

export async function insertSession(db: Executor, s: SessionRow): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
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
    })
    .execute();
}

export async function findSession(db: Executor, idHash: string): Promise<SessionRow | null> {
  const r = await db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
  return r ? toRow(r) : null;
}

export async function touchSession(db: Executor, idHash: string, at: string): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: at }).where('id_hash', '=', idHash).execute();
}

export async function setStepUp(db: Executor, idHash: string, at: string): Promise<void> {
  await db.updateTable('sessions').set({ step_up_at: at }).where('id_hash', '=', idHash).execute();
}

/** Deletes one session; returns whether it existed (so a rotation can tell it won a race). */
export async function deleteSession(db: Executor, idHash: string): Promise<boolean> {
  const r = await db.deleteFrom('sessions').where('id_hash', '=', idHash).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
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

export async function deleteExpiredSessions(db: Executor, now: string): Promise<number> {
  const r = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}
