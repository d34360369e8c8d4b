import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, createStaff, PASSWORD, type TestApp } from './helpers/app.js';
import { runPortico, type CLIRun } from './helpers/cli.js';

/**
 * `portico token create`, `staff create` and `admin create` take exactly what the API takes
 * (POST /api/v1/api-tokens, POST /api/v1/staff): no token without a scope, `--days` as a whole
 * number in the API's range written in digits, names no longer than the API's. The limits are
 * read from the API's own OpenAPI document, so the CLI and the API cannot drift apart unseen.
 * Bad input is one clear line, a non-zero exit, and nothing created.
 */
let t: TestApp;
let adminEmail: string;
let tokenLimits: { nameMax: number; daysMin: number; daysMax: number; scopesMin: number };
let staffNameMax: number;

beforeAll(async () => {
  t = await createTestApp();
  adminEmail = (await createStaff(t, 'admin')).email;
  const doc = (await t.client().get('/api/openapi.json')).json();
  const body = (path: string) => doc.paths[path].post.requestBody.content['application/json'].schema.properties;
  const token = body('/api/v1/api-tokens');
  tokenLimits = { nameMax: token.name.maxLength, daysMin: token.expiresInDays.minimum, daysMax: token.expiresInDays.maximum, scopesMin: token.scopes.minItems };
  staffNameMax = body('/api/v1/staff').name.maxLength;
});
afterAll(async () => {
  await t.close();
});

async function counts() {
  const n = async (table: 'api_tokens' | 'staff' | 'audit_events' | 'outbox') =>
    Number((await t.ctx.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  return { tokens: await n('api_tokens'), staff: await n('staff'), audit: await n('audit_events'), outbox: await n('outbox') };
}

function expectOneLineRefusal(r: CLIRun, pattern: RegExp, what: string) {
  expect(r.code, `${what}: ${r.stderr}`).not.toBe(0);
  expect(r.stdout, what).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines, `${what}: ${r.stderr}`).toHaveLength(1);
  expect(lines[0], what).toMatch(/^portico: \S/);
  expect(lines[0], what).toMatch(pattern);
  expect(lines[0].length, what).toBeLessThan(400);
}

const token = (extra: string[]) => ['token', 'create', '--email', adminEmail, ...extra];

describe('the API limits the tests hold the CLI to', () => {
  it('are the ones API.md names', () => {
    expect(tokenLimits).toEqual({ nameMax: 100, daysMin: 1, daysMax: 365, scopesMin: 1 });
    expect(staffNameMax).toBe(200);
  });
});

describe('portico token create refuses what POST /api/v1/api-tokens refuses', () => {
  it('no scope at all: --scopes "," or " , "', async () => {
    const before = await counts();
    const cases = [',', ' , ', ',,,'];
    const runs = await Promise.all(cases.map((scopes) => runPortico(token(['--name', 'n', '--scopes', scopes]), t.cliEnv())));
    runs.forEach((r, i) => expectOneLineRefusal(r, /--scopes: .*at least one scope/, `--scopes ${JSON.stringify(cases[i])}`));
    expect(await counts()).toEqual(before);
  }, 120_000);

  it('--days not written as a whole number in digits, or out of range', async () => {
    const before = await counts();
    const cases = ['1e2', '0x10', '2.0', '+5', '-1', ' ', '', '0', String(tokenLimits.daysMin - 1), String(tokenLimits.daysMax + 1), '0b11', 'Infinity', '9'.repeat(400)];
    const runs = await Promise.all(cases.map((days) => runPortico(token(['--name', 'n', '--scopes', 'audit:read', `--days=${days}`]), t.cliEnv())));
    runs.forEach((r, i) => expectOneLineRefusal(r, /--days must be a whole number from 1 to 365/, `--days ${JSON.stringify(cases[i])}`));
    expect(await counts()).toEqual(before);
  }, 120_000);

  it('a --name longer than the API takes', async () => {
    const before = await counts();
    for (const length of [tokenLimits.nameMax + 1, 5000]) {
      const r = await runPortico(token(['--name', 'x'.repeat(length), '--scopes', 'audit:read']), t.cliEnv());
      expectOneLineRefusal(r, new RegExp(`--name must be at most ${tokenLimits.nameMax} characters`), `--name of ${length}`);
    }
    expect(await counts()).toEqual(before);
  }, 120_000);

  it('takes what the API takes: the longest name, the edge days, a scope list with a stray comma', async () => {
    const before = await counts();
    const r = await runPortico(token(['--name', `  ${'n'.repeat(tokenLimits.nameMax)}  `, '--scopes', 'audit:read,', '--days', String(tokenLimits.daysMax)]), t.cliEnv());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^pt_/);
    const one = await runPortico(token(['--name', 'short', '--scopes', ' contacts:read , audit:read ', '--days', String(tokenLimits.daysMin)]), t.cliEnv());
    expect(one.code, one.stderr).toBe(0);
    expect((await counts()).tokens).toBe(before.tokens + 2);
  }, 120_000);
});

describe('portico staff create and admin create refuse what POST /api/v1/staff refuses', () => {
  it('a --name longer than the API takes', async () => {
    const before = await counts();
    const cases = [staffNameMax + 1, 5000].flatMap((length) => [['staff', 'create', '--role', 'agent'], ['admin', 'create']].map((command) => ({ length, command })));
    const runs = await Promise.all(cases.map(({ length, command }) => runPortico([...command, '--email', `long-${length}@example.com`, '--name', 'x'.repeat(length)], t.cliEnv(), `${PASSWORD}\n`)));
    runs.forEach((r, i) => expectOneLineRefusal(r, new RegExp(`--name must be at most ${staffNameMax} characters`), `${cases[i].command.join(' ')} --name of ${cases[i].length}`));
    expect(await counts()).toEqual(before);
  }, 120_000);

  it('takes the longest name the API takes', async () => {
    const r = await runPortico(['staff', 'create', '--role', 'agent', '--email', 'longest-name@example.com', '--name', 'y'.repeat(staffNameMax)], t.cliEnv(), `${PASSWORD}\n`);
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);
});
