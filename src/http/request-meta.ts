import type { FastifyRequest } from 'fastify';
import type { RequestMeta } from '../context.js';

/** IP and user agent of a request. `request.ip` honours TRUST_PROXY (Fastify's trustProxy). */
export function requestMeta(req: FastifyRequest): RequestMeta {
  const ua = req.headers['user-agent'];
  return { ip: req.ip ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null };
}
