import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { handleError } from './errors-handler.js';

describe('the error handler', () => {
  it('answers a PostgreSQL deadlock or serialization failure as 409 conflict (nothing was written), never 500', async () => {
    const app = Fastify({ logger: false });
    app.setErrorHandler(handleError);
    for (const code of ['40P01', '40001']) {
      app.post(`/race-${code}`, async () => {
        throw Object.assign(new Error('deadlock detected'), { code });
      });
    }
    app.post('/bug', async () => {
      throw new Error('something else');
    });
    for (const code of ['40P01', '40001']) {
      const r = await app.inject({ method: 'POST', url: `/race-${code}` });
      expect(r.statusCode).toBe(409);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.json()).toMatchObject({ code: 'conflict', status: 409 });
      expect(r.body).not.toContain('deadlock detected');
    }
    const bug = await app.inject({ method: 'POST', url: '/bug' });
    expect(bug.statusCode).toBe(500);
    expect(bug.body).not.toContain('something else');
    await app.close();
  });
});
