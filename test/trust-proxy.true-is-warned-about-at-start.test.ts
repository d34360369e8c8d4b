import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { freePort, servePortico } from './helpers/cli.js';

/**
 * TRUST_PROXY=true makes Fastify believe every X-Forwarded-For entry, and the client IP is the
 * leftmost one, which the client writes itself: any client that can reach Portico directly, or
 * through a proxy that appends rather than replaces, picks its own IP for the per-IP limits and
 * the audit log. It is allowed (API.md), but `portico serve` says so at start, in one line,
 * and names the safer settings. Proxy addresses or a hop count start without it.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

/** What `portico serve` printed by the time it announced itself. */
async function startOutput(trustProxy: string): Promise<string> {
  const port = await freePort();
  const server = servePortico({ ...t.cliEnv(), PORT: String(port), PUBLIC_URL: `http://localhost:${port}`, TRUST_PROXY: trustProxy });
  try {
    const deadline = Date.now() + 60_000;
    while (!server.output().includes('Help center:')) {
      if (server.hasExited()) throw new Error(`portico serve exited; it printed:\n${server.output()}`);
      if (Date.now() > deadline) throw new Error(`portico serve did not start; it printed:\n${server.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return server.output();
  } finally {
    await server.kill9();
  }
}

describe('TRUST_PROXY=true', () => {
  it('is warned about in one line when the server starts', async () => {
    const lines = (await startOutput('true')).split('\n').filter((l) => l.includes('TRUST_PROXY'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^portico: TRUST_PROXY=true believes any X-Forwarded-For/);
    expect(lines[0]).toMatch(/proxy's addresses or its hop count/);
  });

  it('proxy addresses or a hop count start without the warning', async () => {
    for (const setting of ['127.0.0.1', '1']) expect(await startOutput(setting)).not.toContain('TRUST_PROXY');
  });
});
