import { describe, expect, it } from 'vitest';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { createLogger } from '../runtime.js';
import { lazyChildLoggerFactory } from './request-logger.js';

/** A Fastify app logging through the production logger at `level` into `lines`. */
async function appAt(level: string, lazy: boolean) {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger(level, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const app = Fastify({ loggerInstance: log, ...(lazy ? { childLoggerFactory: lazyChildLoggerFactory } : {}) });
  app.get('/ok', async () => ({ ok: true }));
  app.get('/fails', async () => {
    throw new Error('boom');
  });
  app.get('/logs', async (req) => {
    req.log.warn({ body: { token: 'secret-token' }, detail: 1 }, 'a warning');
    req.log.debug('a debug line');
    return { ok: true };
  });
  await app.ready();
  return { app, lines };
}

/** What a line says, without what differs between runs. */
const shape = (l: Record<string, unknown>) => {
  const { time: _t, pid: _p, hostname: _h, responseTime: _r, reqId, ...rest } = l;
  return { ...rest, hasReqId: typeof reqId === 'string' };
};

async function drive(app: Awaited<ReturnType<typeof appAt>>['app']) {
  for (const url of ['/ok', '/fails', '/logs', '/ok']) await app.inject({ method: 'GET', url });
}

describe("a request's logger, built only when the request logs", () => {
  for (const level of ['warn', 'info', 'trace']) {
    it(`writes at ${level} exactly the lines the eager child writes, each with its request's id`, async () => {
      const eager = await appAt(level, false);
      const lazy = await appAt(level, true);
      await drive(eager.app);
      await drive(lazy.app);
      expect(lazy.lines.map(shape)).toEqual(eager.lines.map(shape));
      expect(lazy.lines.length).toBeGreaterThan(0);
      // Every request's lines carry that request's id, and no two requests share one.
      const requestIDs = new Set(lazy.lines.map((l) => l.reqId));
      expect(requestIDs.has(undefined)).toBe(false);
      // At warn only the request that fails and the one that warns log; below it, all four do.
      expect(requestIDs.size).toBe(level === 'warn' ? 2 : 4);
      // Redaction still applies to what a request logs.
      expect(JSON.stringify(lazy.lines)).not.toContain('secret-token');
      await eager.app.close();
      await lazy.app.close();
    });
  }

  it('builds no child for a request that logs nothing at an enabled level', () => {
    let children = 0;
    const parent = createLogger('warn', { write: () => {} });
    const counting = new Proxy(parent, {
      get(target, prop, receiver) {
        if (prop === 'child') return (...args: Parameters<FastifyBaseLogger['child']>) => (children++, target.child(...args));
        return Reflect.get(target, prop, receiver);
      },
    });
    const child = lazyChildLoggerFactory(counting, { reqId: 'req-1' }, {});
    child.info('not written');
    child.debug('not written');
    expect(children).toBe(0);
    child.warn('written');
    child.error('written too');
    expect(children).toBe(1);
  });
});
