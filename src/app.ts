import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Fastify from 'fastify';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Context } from './context.js';
import { pingDatabase, untilCommitted } from './db/index.js';
import { checkAPIRequests } from './http/api-requests.js';
import { computeHeaders, registerSecurityHeaders } from './http/security-headers.js';
import { lazyChildLoggerFactory } from './http/request-logger.js';
import { handleClientError, handleError } from './http/errors-handler.js';
import { problemFor } from './http/errors.js';
import type { App } from './http/types.js';
import { registerAuthRoutes } from './accounts/routes-auth.js';
import { registerStaffAccountRoutes } from './accounts/routes-staff.js';
import { registerTicketRoutes } from './tickets/routes.js';
import { registerSettingsRoutes } from './settings/routes.js';
import { registerMFARoutes, registerMFASettingsRoutes } from './mfa/routes.js';
import { registerPendingActionRoutes, registerRecoveryRequestRoutes, registerToolkitRoutes } from './recovery/routes.js';
import { registerBulkRoutes, registerOverviewRoutes } from './recovery/routes-bulk.js';
import { registerOutboxRoutes } from './notify/routes.js';
import { registerAPITokenRoutes } from './sessions/routes.js';
import { registerAuditRoutes } from './audit/routes.js';

export const WEB_DIST = resolve(import.meta.dirname, '..', 'web', 'dist');

export interface BuildOptions {
  /** Serve the built web UI from this folder (default web/dist, when it exists). */
  webDir?: string | null;
  logger?: boolean;
}

/**
 * TRUST_PROXY as Fastify's trustProxy. A hop count n trusts the n proxies nearest Portico:
 * Fastify 5.12 ignores a bare number on purpose ("Hop-count-only trust … Fail closed": no
 * forwarding header is then believed), so it gets the same rule as a function. proxy-addr asks
 * it about the peer (hop 0), then about each X-Forwarded-For entry from the right (hop 1, 2,
 * …), and request.ip is the first address it does not trust, else the leftmost entry: with
 * n = 1 and `X-Forwarded-For: a, b`, that is b, what the one trusted proxy saw.
 */
function fastifyTrustProxy(tp: boolean | number | string[]): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof tp === 'number' ? (_address, hop) => hop < tp : tp;
}

/** Builds the HTTP application on a context; `listen` is the caller's business. */
export async function buildApp(ctx: Context, options: BuildOptions = {}): Promise<App> {
  const securityHeaders = computeHeaders({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        upgradeInsecureRequests: null,
      },
    },
    // Plain-HTTP localhost must keep working; HSTS is for the HTTPS deployment's proxy.
    hsts: ctx.config.publicURL.startsWith('https:'),
  });
  const app = Fastify({
    loggerInstance: options.logger === false ? undefined : ctx.log,
    logger: options.logger === false ? false : undefined,
    trustProxy: fastifyTrustProxy(ctx.config.trustProxy),
    bodyLimit: 256 * 1024,
    // The router's own refusals (an over-long id, a malformed URL) leave as problem+json too.
    // They skip the request hooks, so they are given the security headers here.
    frameworkErrors: (error, req, reply) => void handleError(error, req, reply.headers(securityHeaders)),
    // What Node's HTTP parser refuses before any route sees it (a bad Content-Length or chunked
    // body, headers over 16 KB, a garbage request line) leaves as problem+json too, written
    // straight to the socket with the same headers.
    clientErrorHandler: (error, socket) => handleClientError(error, socket, securityHeaders),
    ajv: { customOptions: { removeAdditional: false } },
    childLoggerFactory: lazyChildLoggerFactory,
  }).withTypeProvider<ZodTypeProvider>() as unknown as App;

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);

  await app.register(cookie);
  registerSecurityHeaders(app, securityHeaders);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Portico API', version: '1', description: 'Help center with customer MFA that support staff can manage.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
  });

  // The hooks run for every request, so they take Fastify's callback form: no promise of
  // their own when there is nothing to wait for.
  checkAPIRequests(app, ctx);
  app.addHook('onSend', (req, reply, payload, done) => {
    // By the route reached, too: `/%61pi/…` reaches an API route (the router decodes it).
    if (req.url.startsWith('/api/') || req.routeOptions.url?.startsWith('/api/')) reply.header('cache-control', 'no-store');
    // No answer leaves before what it read or wrote is committed (SQLite commits the
    // transactions of one event-loop turn together: src/db/sqlite-group-commit.ts).
    const pending = untilCommitted(ctx.db);
    if (!pending) return done(null, payload);
    // Returned, not chained to `done`: Fastify's hook runner then sends the answer (or the
    // COMMIT's error) as for an async hook, and catches what writing the answer throws.
    return pending.then(() => payload);
  });

  app.get('/healthz', { schema: { tags: ['operations'], summary: 'Liveness: 200 {status:"ok"} once the database answers, else 503' } }, async (_req, reply) => {
    if (!(await pingDatabase(ctx.db))) return reply.code(503).send({ status: 'unavailable' });
    return { status: 'ok' };
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerAuthRoutes(app, ctx, 'contact');
  registerAuthRoutes(app, ctx, 'staff');
  registerStaffAccountRoutes(app, ctx);
  registerTicketRoutes(app, ctx);
  registerSettingsRoutes(app, ctx);
  registerMFARoutes(app, ctx, 'contact');
  registerMFARoutes(app, ctx, 'staff');
  registerMFASettingsRoutes(app, ctx);
  registerToolkitRoutes(app, ctx);
  registerPendingActionRoutes(app, ctx);
  registerRecoveryRequestRoutes(app, ctx);
  registerBulkRoutes(app, ctx);
  registerOverviewRoutes(app, ctx);
  registerOutboxRoutes(app, ctx);
  registerAPITokenRoutes(app, ctx);
  registerAuditRoutes(app, ctx);

  const webDir = options.webDir === undefined ? WEB_DIST : options.webDir;
  const hasWeb = webDir !== null && existsSync(join(webDir, 'index.html'));
  if (hasWeb) {
    await app.register(fastifyStatic, { root: webDir, wildcard: false, index: false });
  }
  app.setNotFoundHandler((req, reply) => {
    if (req.method === 'GET' && !req.url.startsWith('/api/') && hasWeb) {
      // The React app routes everything else on the client.
      return reply.type('text/html').header('cache-control', 'no-cache').sendFile('index.html');
    }
    const p = problemFor('not_found', `No route ${req.method} ${req.url.split('?')[0]}`);
    return reply.code(404).type('application/problem+json').send(p);
  });

  return app;
}
