import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../context.js';
import type { SessionKind } from '../sessions/service.js';

/** Two session cookies (customer, staff) and the anonymous CSRF seed; API.md conventions. */
export const COOKIES = {
  contact: 'portico_session',
  staff: 'portico_staff_session',
  seed: 'portico_csrf',
  remember: 'portico_device',
} as const;

/** Secure everywhere but on plain-HTTP localhost, where browsers would drop it. */
export function isSecureDeployment(ctx: Context): boolean {
  const u = new URL(ctx.config.publicURL);
  if (u.protocol === 'https:') return true;
  return !['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
}

export function setCookie(ctx: Context, reply: FastifyReply, name: string, value: string, maxAgeSeconds?: number): void {
  reply.setCookie(name, value, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: isSecureDeployment(ctx),
    ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}),
  });
}

export function clearCookie(ctx: Context, reply: FastifyReply, name: string): void {
  reply.clearCookie(name, { path: '/', httpOnly: true, sameSite: 'lax', secure: isSecureDeployment(ctx) });
}

export function sessionCookieName(kind: SessionKind): string {
  return kind === 'contact' ? COOKIES.contact : COOKIES.staff;
}

export function readCookie(req: FastifyRequest, name: string): string | undefined {
  const v = req.cookies[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
