/**
 * Serves the floor of the TOTP second step (bench/tools/second-step-floor.ts) as
 * `POST /api/v1/auth/mfa/verify`, for `npx tsx bench/second-step.ts --server floor`: the same
 * database and environment as `portico serve`, in a process of its own, with the parts of
 * Portico's HTTP handling that any implementation of the route keeps (the session cookie read by
 * @fastify/cookie, the CSRF check, the body checked by a zod schema, the security headers, the
 * new cookie and CSRF token in the answer, sent once the group has committed).
 */
import Fastify from 'fastify';
import cookie from '@fastify/cookie';
import { z } from 'zod';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { loadConfig } from '../../src/config.js';
import { createRuntime } from '../../src/runtime.js';
import { computeHeaders } from '../../src/http/security-headers.js';
import { createFloor } from './second-step-floor.js';

const config = loadConfig(process.env);
const rt = await createRuntime(config, { deliverMail: false });
const { ctx } = rt;
// portico serve starts its WAL checkpoint worker after 50 commits (src/db/index.ts); so does this.
for (let i = 0; i < 50; i++) await ctx.db.transaction().execute(async () => {});
const floor = createFloor(ctx);
const headers = computeHeaders({});

const app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
app.setValidatorCompiler(validatorCompiler);
app.setSerializerCompiler(serializerCompiler);
await app.register(cookie);
app.addHook('onRequest', (_req, reply, done) => {
  reply.headers(headers);
  done();
});
app.get('/healthz', async () => ({ status: 'ok' }));
const body = z.object({ method: z.literal('totp'), code: z.string().trim().min(1).max(64), rememberDevice: z.boolean().optional() });
app.post('/api/v1/auth/mfa/verify', { schema: { body } }, async (req, reply) => {
  const token = req.cookies.portico_session ?? '';
  if (!floor.csrfOK(token, req.headers['x-csrf-token'] as string | undefined)) return reply.code(403).send({ type: 'about:blank', title: 'csrf_failed' });
  const ua = req.headers['user-agent'];
  const next = await floor.verify(token, req.body.code, { ip: req.ip, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null });
  reply.header('cache-control', 'no-store');
  reply.setCookie('portico_session', next.token, { path: '/', httpOnly: true, sameSite: 'lax', secure: false });
  return { state: 'authenticated', csrfToken: next.csrfToken };
});
await app.listen({ port: config.port, host: config.host });
const stop = async () => {
  await app.close();
  await rt.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
