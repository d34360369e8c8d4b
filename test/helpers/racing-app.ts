import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { createTestApp, type TestApp } from './app.js';
import { staffWithMFA, type StaffWithMFA } from './mfa.js';

export interface RacingApp {
  t: TestApp;
  admin: StaffWithMFA;
  /**
   * The warnings and errors the server logged. A batch that PostgreSQL rolled back (a deadlock
   * with a racing request) and redid one contact at a time shows here.
   */
  problems: string[];
}

/**
 * For the race tests: an app whose background jobs run only when the test says, whose warnings
 * are collected, and an admin with MFA. Set up before the file's tests, closed after them; its
 * fields are there once a test runs.
 */
export function useRacingApp(): RacingApp {
  const r = { problems: [] as string[] } as RacingApp;
  beforeAll(async () => {
    const log = pino({ level: 'warn' }, { write: (line: string) => void r.problems.push(line) }) as unknown as FastifyBaseLogger;
    r.t = await createTestApp({ runJobs: false, log });
    r.admin = await staffWithMFA(r.t, 'admin');
  });
  afterAll(async () => {
    await r.t.close();
  });
  return r;
}
