import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../context.js';
import { generateToken } from '../crypto/random.js';
import { constantTimeEqual, hashToken, hmacHex } from '../crypto/hash.js';
import type { SessionKind } from '../sessions/service.js';
import { AppError } from './errors.js';
import { COOKIES, readCookie, sessionCookieName, setCookie } from './cookies.js';

/**
 * CSRF tokens are an HMAC of what the browser holds in an HttpOnly cookie: the session
 * cookie when there is one, else an anonymous random seed. A cross-site page can make the
 * browser send the cookie but can neither read it nor compute the HMAC, so it cannot forge the
 * `x-csrf-token` header. The token changes when the session does (at sign-in), which is why
 * sign-in answers carry the new one.
 */
export function csrfTokenFor(ctx: Context, kind: SessionKind, cookieValue: string): string {
  return hmacHex(ctx.keys.csrf, `${kind}:${hashToken(cookieValue)}`);
}

/** Which session a route belongs to: the help center's or the console's. */
export function audienceOf(route: string): SessionKind {
  return /^\/api\/v1\/(auth|me)(\/|$)/.test(route) ? 'contact' : 'staff';
}

/** The CSRF token for this browser, creating the anonymous seed cookie if needed. */
export function issueCSRFToken(ctx: Context, req: FastifyRequest, reply: FastifyReply, kind: SessionKind, sessionToken?: string): string {
  const bound = sessionToken ?? readCookie(req, sessionCookieName(kind));
  if (bound) return csrfTokenFor(ctx, kind, bound);
  let seed = readCookie(req, COOKIES.seed);
  if (!seed) {
    seed = generateToken();
    setCookie(ctx, reply, COOKIES.seed, seed);
    // Later reads in this same request see the new seed.
    req.cookies[COOKIES.seed] = seed;
  }
  return csrfTokenFor(ctx, kind, seed);
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Rejects an unsafe, cookie-authenticated request without the right header, on a route of the
 * API whose session is `kind`. The caller decides from the route a request reached, never from
 * its raw URL: the router decodes percent-escapes before it matches, so `/%61pi/v1/…` reaches
 * an `/api/v1/…` route while its raw URL does not start with `/api/` (see api-requests.ts).
 */
export function checkCSRF(ctx: Context, req: FastifyRequest, kind: SessionKind): void {
  if (SAFE.has(req.method)) return;
  // API clients authenticate with a bearer token, which a cross-site page cannot attach.
  if (bearerToken(req) !== null) return;
  const sent = req.headers['x-csrf-token'];
  const bound = readCookie(req, sessionCookieName(kind)) ?? readCookie(req, COOKIES.seed);
  if (typeof sent !== 'string' || !bound || !constantTimeEqual(sent, csrfTokenFor(ctx, kind, bound))) {
    throw new AppError('csrf_failed', 'Send the csrfToken from GET …/session in the x-csrf-token header');
  }
}

/**
 * The API token of a request sent with `Authorization: Bearer …`, or null. The one test of
 * "is this a bearer request": such requests skip the CSRF check here, so the guards must never
 * let their cookies sign them in (src/http/guards.ts), and both must agree on what counts.
 */
export function bearerToken(req: FastifyRequest): string | null {
  const authz = req.headers.authorization;
  return typeof authz === 'string' && /^Bearer\s/i.test(authz) ? authz.replace(/^Bearer\s+/i, '').trim() : null;
}
