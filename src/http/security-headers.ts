import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import type { App } from './types.js';

/**
 * helmet's security headers (CSP, frame and content-type options, referrer policy, and the
 * rest), computed once at start and set on every response. Portico's headers are the same for
 * every request (no per-request CSP nonce), and computing them per request, as
 * @fastify/helmet does, cost about 30 µs a request: a tenth of a sign-in's second step.
 * `headers` are computeHeaders' (src/app.ts also gives them to the router's own refusals,
 * which skip this hook).
 */
export function registerSecurityHeaders(app: App, headers: Record<string, string>): void {
  app.addHook('onRequest', (_req, reply, done) => {
    reply.headers(headers);
    done();
  });
}

export function computeHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader(name: string, value: unknown) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let finished = false;
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
    finished = true;
  });
  // helmet is synchronous; should a version ever not be, fail at start rather than send no headers.
  if (!finished) throw new Error('helmet did not finish synchronously');
  return headers;
}
