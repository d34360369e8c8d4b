import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { RequestMeta } from '../context.js';

/**
 * IP and user agent of a request. `request.ip` honours TRUST_PROXY (Fastify's trustProxy), and
 * then comes from X-Forwarded-For, whose entries are not checked to be addresses: what is not
 * an IP address is kept as unknown (null), never as text someone wrote into a header, since
 * the IP goes into audit entries and security emails.
 */
export function requestMeta(req: FastifyRequest): RequestMeta {
  const ua = req.headers['user-agent'];
  return { ip: req.ip && isIP(req.ip) ? req.ip : null, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null };
}
