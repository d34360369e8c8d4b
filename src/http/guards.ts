import type { FastifyRequest } from 'fastify';
import type { Context } from '../context.js';
import type { Actor } from '../audit/service.js';
import { getAccount, type Account, type StaffRole } from '../accounts/service.js';
import * as sessions from '../sessions/service.js';
import type { SessionKind, SessionLevel, SessionRow } from '../sessions/service.js';
import { AppError } from './errors.js';
import { resolveAPIToken, ROLE_SCOPES, type Scope } from '../sessions/api-tokens.js';
import { readCookie, sessionCookieName } from './cookies.js';
import { bearerToken } from './csrf.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Sessions already resolved for this request, by kind (null = none). */
    resolvedSessions?: Partial<Record<SessionKind, SessionRow | null>>;
  }
}

/**
 * The person each resolved session was read with, in the same statement. A session a route
 * puts in a request's place (a rotated one) has none here, so its person is read anew.
 */
const readWith = new WeakMap<SessionRow, Account | null>();

/** The browser's live session of a kind, resolved once per request. */
export async function currentSession(ctx: Context, req: FastifyRequest, kind: SessionKind): Promise<SessionRow | null> {
  // A request with a bearer token skips the CSRF check (src/http/csrf.ts), so its cookies must
  // not sign it in: only the token can.
  if (bearerToken(req) !== null) return null;
  req.resolvedSessions ??= {};
  if (!(kind in req.resolvedSessions)) {
    const resolved = await sessions.resolveSession(ctx, kind, readCookie(req, sessionCookieName(kind)));
    if (resolved) readWith.set(resolved.session, resolved.account);
    req.resolvedSessions[kind] = resolved?.session ?? null;
  }
  return req.resolvedSessions[kind] ?? null;
}

/** The person of a session from currentSession: as read with it, else read now. */
export async function accountOf(ctx: Context, session: SessionRow): Promise<Account | null> {
  return readWith.has(session) ? readWith.get(session)! : getAccount(ctx, session.kind, session.subjectID);
}

/** The API.md sign-in state of a session. */
export function stateOf(s: SessionRow | null): 'anonymous' | 'mfa_required' | 'enrollment_required' | 'authenticated' {
  if (!s) return 'anonymous';
  return s.level === 'mfa' ? 'mfa_required' : s.level === 'enrollment' ? 'enrollment_required' : 'authenticated';
}

/** Answers a session that is not at one of the allowed levels with the API.md code. */
function denyForLevel(s: SessionRow | null, allowed: SessionLevel[]): never | void {
  if (s && allowed.includes(s.level)) return;
  if (!s) throw new AppError('unauthenticated');
  // A session that must enroll is told so by every route it may not call (API.md's sign-in
  // states), those that finish a pending sign-in included.
  if (s.level === 'enrollment') throw new AppError('enrollment_required');
  // The routes that finish a pending sign-in: a full session has none pending (API.md: 401).
  if (allowed.length === 1 && allowed[0] === 'mfa') throw new AppError('unauthenticated', 'No sign-in is waiting for a second step');
  if (s.level === 'mfa') throw new AppError('mfa_required');
  throw new AppError('forbidden');
}

export interface SessionAuth {
  session: SessionRow;
  account: Account;
}

/** A signed-in customer at one of the allowed levels (by default, fully signed in). */
export async function requireContact(ctx: Context, req: FastifyRequest, allowed: SessionLevel[] = ['full']): Promise<SessionAuth> {
  return requireSessionOf(ctx, req, 'contact', allowed);
}

export async function requireSessionOf(ctx: Context, req: FastifyRequest, kind: SessionKind, allowed: SessionLevel[] = ['full']): Promise<SessionAuth> {
  const session = await currentSession(ctx, req, kind);
  denyForLevel(session, allowed);
  const account = await accountOf(ctx, session!);
  if (!account || !account.active) throw new AppError('unauthenticated');
  return { session: session!, account };
}

export const ROLE_RANK: Record<StaffRole, number> = { agent: 1, supervisor: 2, admin: 3 };

export interface StaffAuth {
  account: Account;
  /** The browser session, or null for an API token. */
  session: SessionRow | null;
  /** The API token's id, scopes and creator, or null for a browser session. */
  token: { id: string; scopes: string[]; createdBy: string | null } | null;
  actor: Actor;
}

export interface StaffRequirement {
  /** The lowest role allowed. */
  minRole?: StaffRole;
  /** The API-token scope the endpoint needs. */
  scope?: string;
  /** Over a browser session, a second step within the last 5 minutes. */
  stepUp?: boolean;
  /** Only a browser session may call this (API-token management, say). */
  sessionOnly?: boolean;
}

/**
 * A staff member allowed to do something: by browser session (role, then step-up) or by API
 * token (its scopes, limited by its owner's current role; no step-up, no CSRF).
 */
export async function requireStaff(ctx: Context, req: FastifyRequest, need: StaffRequirement = {}): Promise<StaffAuth> {
  const token = bearerToken(req);
  let auth: StaffAuth;
  if (token !== null) {
    if (need.sessionOnly) throw new AppError('forbidden', 'This needs a signed-in staff member, not an API token');
    const found = await resolveAPIToken(ctx, token);
    if (!found) throw new AppError('unauthenticated', 'The API token is not valid, expired or revoked');
    if (need.scope && !found.scopes.includes(need.scope)) throw new AppError('forbidden', `The API token lacks the ${need.scope} scope`);
    auth = { account: found.account, session: null, token: { id: found.id, scopes: found.scopes, createdBy: found.createdBy }, actor: { type: 'token', id: found.id } };
  } else {
    const { session, account } = await requireSessionOf(ctx, req, 'staff');
    auth = { account, session, token: null, actor: { type: 'staff', id: account.id } };
  }
  if (need.minRole && ROLE_RANK[auth.account.role!] < ROLE_RANK[need.minRole]) {
    throw new AppError('forbidden', `This needs the ${need.minRole} role or higher`);
  }
  // A scope is also a right of the role: a browser session may do only what a token of its
  // owner's role could (ROLE_SCOPES), so no route's missing minRole lets an agent manage MFA.
  if (need.scope && auth.session && !ROLE_SCOPES[auth.account.role!].includes(need.scope as Scope)) {
    throw new AppError('forbidden', `Your role does not allow this (${need.scope})`);
  }
  if (need.stepUp && auth.session && !sessions.hasFreshStepUp(ctx, auth.session)) {
    throw new AppError('step_up_required');
  }
  return auth;
}
