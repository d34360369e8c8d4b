import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import type { Context } from '../context.js';
import { audienceOf, checkCSRF } from './csrf.js';
import { AppError } from './errors.js';

/**
 * What every request to the API goes through before its route's own guards:
 * - the CSRF check of the route's audience (help center or console), decided once from the
 *   route's path when the route is added, so a request is checked exactly when it reaches an
 *   API route however its path was spelled (the router decodes `/%61pi/…` to `/api/…`);
 * - no NUL character in the URL or in a JSON body's text. PostgreSQL cannot store it in text
 *   (it refused such a value with an error, a 500), SQLite stores it; Portico refuses it on both
 *   with 400 `invalid_input`, before anything is read or written.
 * Added before the routes.
 */
export function checkAPIRequests(app: FastifyInstance, ctx: Context): void {
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/')) return;
    const kind = audienceOf(route.url);
    const check: onRequestHookHandler = (req, _reply, done) => {
      try {
        if (req.url.includes('%00')) throw nulRefused('The address');
        checkCSRF(ctx, req, kind);
      } catch (error) {
        return done(error as Error);
      }
      done();
    };
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [check, ...own];
  });

  // Fastify's own JSON parser (prototype-poisoning checks and all), then the NUL rule. JSON
  // cannot carry a raw NUL inside a string, only the escape, so bodies without `\u0000` in
  // their text (all but the odd one) are not looked through.
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    parse(req, body as string, (error, value) => {
      if (error) return done(error, undefined);
      if ((body as string).includes('\\u0000') && holdsNul(value)) return done(nulRefused('The body'), undefined);
      done(null, value);
    });
  });
}

function nulRefused(where: string): AppError {
  return new AppError('invalid_input', `${where} holds a NUL character (\\u0000), which no field takes`);
}

/** Whether a parsed JSON value has a NUL in any string or key. */
function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (Array.isArray(value)) return value.some(holdsNul);
  if (value !== null && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\0') || holdsNul(v));
  return false;
}
