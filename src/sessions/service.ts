import { DAY, HOUR, MINUTE, addMs } from '../clock.js';
import type { Context, RequestMeta } from '../context.js';
import type { Executor } from '../db/index.js';
import { generateToken } from '../crypto/random.js';
import { hashToken } from '../crypto/hash.js';
import { AppError } from '../http/errors.js';
import { deleteExpiredInKeyOrder } from '../db/sets.js';
import * as store from './store.js';
import { toAccount, type Account } from '../accounts/store.js';
import type { SessionKind, SessionLevel, SessionRow } from './store.js';

export type { SessionKind, SessionLevel, SessionRow } from './store.js';

/**
 * Lifetimes. A session that has not finished its second step lives as long as the challenge
 * (10 minutes); an enrollment-only session long enough to set up a factor. Staff sessions are
 * shorter than customers' because they can change other people's MFA.
 */
const LIFETIME: Record<SessionKind, Record<SessionLevel, { idle: number; absolute: number }>> = {
  contact: {
    mfa: { idle: 10 * MINUTE, absolute: 10 * MINUTE },
    enrollment: { idle: 30 * MINUTE, absolute: 30 * MINUTE },
    full: { idle: 1 * DAY, absolute: 14 * DAY },
  },
  staff: {
    mfa: { idle: 10 * MINUTE, absolute: 10 * MINUTE },
    enrollment: { idle: 30 * MINUTE, absolute: 30 * MINUTE },
    full: { idle: 2 * HOUR, absolute: 12 * HOUR },
  },
};

/** How long a second step counts as a step-up. */
export const STEP_UP_WINDOW = 5 * MINUTE;
/** last_seen_at is written at most this often, so reads stay reads. */
const TOUCH_EVERY = MINUTE;

export interface NewSession {
  token: string;
  session: SessionRow;
}

/** Length of a session token: the creation time (12 hex digits of ms), then 256 random bits. */
const TOKEN_LENGTH = 12 + 43;

/**
 * The stored key of a session token: the token's leading creation time, then the SHA-256 of the
 * whole token. Only this is stored, and a cookie finds its session by it, exactly.
 *
 * The time first keeps the sessions' key index in creation order: a new session, and the
 * pending one a sign-in replaces seconds later, sit at its right-hand end, in pages that the
 * other sign-ins of the moment change too, so one commit writes them once for all (a key of
 * hash alone put both at random pages, two more pages to write per sign-in). The time tells
 * nothing the browser does not know; the 256 random bits are what cannot be guessed. Tokens of
 * the older form (43 characters, random only) are keyed by their hash alone, as they were
 * stored.
 */
export function sessionIDHash(token: string): string {
  return token.length === TOKEN_LENGTH ? token.slice(0, 12) + hashToken(token) : hashToken(token);
}

function newSession(ctx: Context, kind: SessionKind, subjectID: string, level: SessionLevel, meta: RequestMeta, options: { stepUp?: boolean }): NewSession {
  const now = ctx.clock.now();
  const token = now.getTime().toString(16).padStart(12, '0') + generateToken();
  const at = now.toISOString();
  return {
    token,
    session: {
      idHash: sessionIDHash(token),
      kind,
      subjectID,
      level,
      createdAt: at,
      lastSeenAt: at,
      expiresAt: addMs(now, LIFETIME[kind][level].absolute),
      stepUpAt: options.stepUp ? at : null,
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 512) ?? null,
    },
  };
}

/** Starts a session and returns its token (the cookie value); only the token's hash is stored. */
export async function startSession(
  ctx: Context,
  db: Executor,
  kind: SessionKind,
  subjectID: string,
  level: SessionLevel,
  meta: RequestMeta,
  options: { stepUp?: boolean } = {},
): Promise<NewSession> {
  const s = newSession(ctx, kind, subjectID, level, meta, options);
  await store.insertSession(db, s.session);
  return s;
}

/**
 * Replaces a session by a new one at another authentication level, so that a session id seen
 * before a sign-in step is worthless after it. One conditional write moves the row to its new
 * id, and its row count decides: if another request already rotated or revoked the old
 * session, this one fails.
 */
export async function rotateSession(
  ctx: Context,
  trx: Executor,
  old: SessionRow,
  level: SessionLevel,
  meta: RequestMeta,
  options: { stepUp?: boolean } = {},
): Promise<NewSession> {
  const s = newSession(ctx, old.kind, old.subjectID, level, meta, options);
  if (!(await store.replaceSession(trx, old.idHash, s.session))) throw new AppError('unauthenticated', 'This sign-in has already been completed or ended');
  return s;
}

/** A live session and its person (null when the person is gone). */
export interface ResolvedSession {
  session: SessionRow;
  account: Account | null;
}

/**
 * The live session of a kind for a cookie token, read with its person, or null when unknown,
 * expired or idle too long.
 */
export async function resolveSession(ctx: Context, kind: SessionKind, token: string | undefined): Promise<ResolvedSession | null> {
  if (!token || token.length > 128) return null;
  const found = await store.findSessionWithSubject(ctx.db, kind, sessionIDHash(token));
  if (!found) return null;
  const s = found.session;
  const now = ctx.clock.now();
  const idleLimit = new Date(s.lastSeenAt).getTime() + LIFETIME[s.kind][s.level].idle;
  if (now.toISOString() >= s.expiresAt || now.getTime() >= idleLimit) {
    await store.deleteSession(ctx.db, s.idHash);
    return null;
  }
  if (now.getTime() - new Date(s.lastSeenAt).getTime() > TOUCH_EVERY) {
    await store.touchSession(ctx.db, s.idHash, now.toISOString());
  }
  return { session: s, account: found.subject ? toAccount(kind, found.subject) : null };
}

export function hasFreshStepUp(ctx: Context, s: SessionRow): boolean {
  return s.stepUpAt !== null && ctx.clock.now().getTime() - new Date(s.stepUpAt).getTime() <= STEP_UP_WINDOW;
}

/**
 * A passed step-up, inside its transaction: the session carries on under a new id, as at every
 * change of authentication level (PRODUCT.md §7), so a copy of the cookie taken before (a
 * stolen one, say) can never use the step-up; it signs nobody in from this commit on. The
 * session keeps its level, its start and its absolute expiry: a step-up proves the second
 * factor again, not the password, so it never lengthens the session's life. One conditional
 * write moves the row; if a racing request renewed or ended the session first, this one
 * fails (401) and its transaction rolls back, as the same request sent after the other would.
 */
export async function renewForStepUp(ctx: Context, trx: Executor, old: SessionRow, meta: RequestMeta): Promise<NewSession> {
  const s = newSession(ctx, old.kind, old.subjectID, old.level, meta, { stepUp: true });
  s.session.createdAt = old.createdAt;
  s.session.expiresAt = old.expiresAt;
  if (!(await store.replaceSession(trx, old.idHash, s.session))) throw new AppError('unauthenticated', 'This session was renewed or ended by another request: reload the page');
  return s;
}

export async function endSession(db: Executor, s: SessionRow): Promise<void> {
  await store.deleteSession(db, s.idHash);
}

/** Signs a person out everywhere (optionally but for one session); returns how many ended. */
export function endAllSessions(db: Executor, kind: SessionKind, subjectID: string, keep?: SessionRow): Promise<number> {
  return store.deleteSubjectSessions(db, kind, subjectID, keep?.idHash);
}

export function listActiveSessions(ctx: Context, db: Executor, kind: SessionKind, subjectID: string): Promise<SessionRow[]> {
  return store.listSubjectSessions(db, kind, subjectID, ctx.clock.now().toISOString());
}

/** Deletes expired and revoked sessions (after a bulk reset, maybe hundreds of thousands); returns how many went. */
export function purgeExpiredSessions(ctx: Context): Promise<number> {
  return deleteExpiredInKeyOrder(ctx.db, 'sessions', ['kind', 'subject_id', 'id_hash'], ctx.clock.now().toISOString());
}
