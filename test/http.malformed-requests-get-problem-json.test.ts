import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { createTestApp, type TestApp } from './helpers/app.js';
import { countRows } from './helpers/staff-session.js';
import { freePort, servePortico } from './helpers/cli.js';

// Requests so malformed that Node's HTTP parser refuses them never reach Fastify's routes or
// error handler: Node raises `clientError` on the socket. They must still leave as the house's
// problem+json (API.md), with the security headers, on a real listening server; inject()
// never goes through the parser, so these tests write raw bytes to a TCP socket.

let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await t.close();
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Writes `bytes` to a fresh connection and reads everything until the server closes it. */
function sendRaw(bytes: string | Buffer, to = port): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(to, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close from the server; got so far: ${Buffer.concat(chunks).toString('latin1')}`));
    }, 10_000);
    socket.on('data', (c) => chunks.push(c));
    // The server may close while this side is still writing: what it sent is what counts.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`no HTTP response: ${JSON.stringify(raw)}`));
      const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: raw.slice(end + 4) });
    });
    socket.write(bytes);
  });
}

function expectProblem(r: RawResponse, status: number, what: string) {
  expect(r.status, `${what}: ${r.body}`).toBe(status);
  expect(r.headers['content-type'], what).toMatch(/^application\/problem\+json/);
  expect(r.headers.connection, what).toBe('close');
  expect(Number(r.headers['content-length']), what).toBe(Buffer.byteLength(r.body));
  const p = JSON.parse(r.body);
  expect(p, what).toMatchObject({ status, code: 'invalid_input', type: expect.stringMatching(/^https:\/\//), title: expect.any(String), detail: expect.any(String) });
  // Not Fastify's own plain JSON answer.
  expect(p, what).not.toHaveProperty('statusCode');
  expect(p, what).not.toHaveProperty('error');
  // The security headers every other answer carries.
  expect(r.headers['x-content-type-options'], what).toBe('nosniff');
  expect(r.headers['content-security-policy'], what).toContain("default-src 'self'");
  expect(r.headers['x-frame-options'], what).toBeDefined();
}

describe('malformed HTTP requests get problem+json on a listening server', () => {
  it('a well-formed request over the same kind of socket is answered as usual (the harness works)', async () => {
    const r = await sendRaw('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ status: 'ok' });
  });

  it('headers over 16 KB (a huge cookie) answer 431 problem+json', async () => {
    const r = await sendRaw(`GET /api/v1/auth/session HTTP/1.1\r\nHost: localhost\r\nCookie: a=${'x'.repeat(20 * 1024)}\r\n\r\n`);
    expectProblem(r, 431, 'oversized cookie');
  });

  it.each([
    ['Content-Length: abc', 'POST /api/v1/auth/signup HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}'],
    // A bearer request skips the CSRF check, so the body is what the server reads next.
    ['a bad chunked body', 'POST /api/v1/contacts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer pt_x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'],
    ['a control character in a header name', 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-A\u0001b: 1\r\n\r\n'],
    ['Content-Length with Transfer-Encoding', 'POST /api/v1/auth/signup HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n'],
    ['a garbage request line', 'THIS IS NOT HTTP\r\n\r\n'],
    ['a space inside the request target', 'GET /a b HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ])('%s answers 400 invalid_input and changes nothing', async (what, bytes) => {
    const before = { contacts: await countRows(t, 'contacts'), audit: await countRows(t, 'audit_events'), outbox: await countRows(t, 'outbox') };
    const r = await sendRaw(bytes);
    expectProblem(r, 400, what);
    expect({ contacts: await countRows(t, 'contacts'), audit: await countRows(t, 'audit_events'), outbox: await countRows(t, 'outbox') }).toEqual(before);
  });

  it('an answer already sent on the connection gets no second answer glued after it', async () => {
    // The CSRF check answers 403 from the headers alone; the broken body comes after it.
    const r = await sendRaw('POST /api/v1/auth/signup HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n');
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'csrf_failed' });
  });

  it('a garbage request pipelined after a good one: the good one is answered first, then the 400', async () => {
    const r = await sendRaw('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\nGARBAGE\x01 / HTTP/1.1\r\n\r\n');
    expect(r.status, r.body).toBe(200);
    const second = r.body.indexOf('HTTP/1.1 400');
    expect(second, r.body).toBeGreaterThan(0);
    expect(r.body.slice(second)).toContain('"code":"invalid_input"');
  });

  it('the server keeps answering after all of them', async () => {
    const r = await sendRaw('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    expect(r.status).toBe(200);
  });
});

describe('malformed HTTP requests get problem+json from `portico serve`', () => {
  it('a huge cookie (431) and a garbage request line (400)', async () => {
    const servePort = await freePort();
    const server = servePortico({ ...t.cliEnv(), PORT: String(servePort), HOST: '127.0.0.1', PUBLIC_URL: `http://localhost:${servePort}` });
    try {
      const deadline = Date.now() + 60_000;
      while (!server.output().includes('Help center:')) {
        if (server.hasExited()) throw new Error(`portico serve exited; it printed:\n${server.output()}`);
        if (Date.now() > deadline) throw new Error(`portico serve did not start; it printed:\n${server.output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expectProblem(await sendRaw(`GET / HTTP/1.1\r\nHost: localhost\r\nCookie: a=${'x'.repeat(20 * 1024)}\r\n\r\n`, servePort), 431, 'serve: oversized cookie');
      expectProblem(await sendRaw('THIS IS NOT HTTP\r\n\r\n', servePort), 400, 'serve: garbage request line');
      expectProblem(await sendRaw('POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n', servePort), 400, 'serve: Content-Length: abc');
      expect(server.hasExited(), server.output()).toBe(false);
    } finally {
      await server.kill9();
    }
  }, 90_000);
});
