import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isUniqueViolation } from '../db/index.js';
import { AppError, problemFor, type ErrorCode } from './errors.js';

function send(reply: FastifyReply, code: ErrorCode, detail?: string, extra?: Record<string, unknown>): FastifyReply {
  const problem = problemFor(code, detail, extra);
  if (typeof extra?.retryAfter === 'number') reply.header('retry-after', String(extra.retryAfter));
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

/**
 * The one error handler: every failure leaves as problem+json with a stable `code`. Bad input
 * names the fields; a 5xx says nothing about the inside and is logged instead.
 */
const NOT_JSON = 'Send the body as JSON, with content-type application/json';

export function handleError(error: FastifyError | AppError | Error, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof AppError) return send(reply, error.code, error.detail, error.extra);
  const fe = error as FastifyError;
  if (hasZodFastifySchemaValidationErrors(fe)) {
    const where = fe.validationContext ?? 'body';
    const issues = fe.validation.map((v) => ({ field: `${where}${v.instancePath.replace(/\//g, '.')}`, message: v.message }));
    return send(reply, 'invalid_input', issues.map((i) => `${i.field}: ${i.message}`).join('; '), { errors: issues });
  }
  if (fe.validation) return send(reply, 'invalid_input', fe.message);
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return send(reply, 'payload_too_large');
    // From the router (frameworkErrors): a path segment too long to be an id of ours (over
    // 100 characters) is an unknown id (API.md: 404); one that is not valid percent-encoding
    // is bad input.
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return send(reply, 'not_found');
    case 'FST_ERR_BAD_URL':
      return send(reply, 'invalid_input', 'The address is not valid');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      // API.md's codes are a closed list: a body that is not JSON is bad input (400).
      return send(reply, 'invalid_input', NOT_JSON);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return send(reply, 'invalid_input', 'The JSON body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return send(reply, 'invalid_input', 'The body is not valid JSON');
  }
  // PostgreSQL gave up one of two transactions that raced for the same rows (a deadlock, or a
  // serialization failure): nothing of this request was written, so it may simply try again.
  const pgCode = (error as { code?: unknown }).code;
  if (pgCode === '40P01' || pgCode === '40001') return send(reply, 'conflict', 'This raced with another change to the same account; nothing was changed, try again');
  // A racing request wrote the same unique thing first (an address, say); this one's
  // transaction rolled back. Where the answer must not show the race (sign-up), the service
  // handles it itself.
  if (isUniqueViolation(error)) return send(reply, 'conflict', 'Another request made the same change at the same moment; nothing was changed by this one');
  // Text PostgreSQL cannot hold (a NUL character): the requests' own checks refuse it first
  // (src/http/api-requests.ts); this is the net for any path they do not cover.
  if (pgCode === '22021' || pgCode === '22P05') return send(reply, 'invalid_input', 'The request holds a character that cannot be stored (NUL)');
  if (error instanceof SyntaxError || fe.statusCode === 400) return send(reply, 'invalid_input', 'The body is not valid JSON');
  if (fe.statusCode === 413) return send(reply, 'payload_too_large');
  if (fe.statusCode === 415) return send(reply, 'invalid_input', NOT_JSON);
  if (fe.statusCode === 404) return send(reply, 'not_found');
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return send(reply, 'invalid_input', fe.message);
  req.log.error({ err: error }, 'request failed');
  return send(reply, 'internal');
}

/** What Node's HTTP parser found wrong, by its error code, in words for the problem's detail. */
const PARSER_ERRORS: Record<string, string> = {
  HPE_INVALID_CONTENT_LENGTH: 'The Content-Length header is not a number',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'Send either Content-Length or Transfer-Encoding, not both',
  HPE_INVALID_TRANSFER_ENCODING: 'The Transfer-Encoding header is not valid',
  HPE_INVALID_CHUNK_SIZE: 'The chunked body is malformed',
  HPE_STRICT: 'The chunked body is malformed',
  HPE_INVALID_HEADER_TOKEN: 'A header name or value holds a character that is not allowed',
  HPE_LF_EXPECTED: 'The request is not valid HTTP',
  HPE_INVALID_METHOD: 'The request line is not valid HTTP',
  HPE_INVALID_URL: 'The request line is not valid HTTP',
  HPE_INVALID_VERSION: 'The request line is not valid HTTP',
  HPE_INVALID_CONSTANT: 'The request is not valid HTTP',
};

/**
 * Fastify's `clientErrorHandler`: a request so malformed that Node's HTTP parser refused it (a
 * bad Content-Length, a broken chunked body, a control character in a header, headers over
 * 16 KB, a garbage request line) never reaches a route or `handleError`. It still leaves as
 * problem+json with code `invalid_input` (400; 431 for headers too large, 408 for a request too
 * slow to arrive), with `headers` (the security headers) and `Connection: close`, and the
 * connection is closed: after a parse error nothing more can be read from it. When an earlier
 * request on the connection is still being answered (pipelined), its answer goes first and
 * this one after it, in the order the client reads them; Node's default wrote over it, and a
 * request that committed looked refused. A body broken after its request was answered gets no
 * second answer. Nothing is written to a connection that is gone. Never throws.
 */
export function handleClientError(error: Error & { code?: string }, socket: Socket, headers: Record<string, string>): void {
  try {
    // A reset connection has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    // The request the parser was reading when it failed (Node's own field; absent, a new one).
    const reading = (socket as Socket & { parser?: { incoming?: IncomingMessage | null } | null }).parser?.incoming;
    if (reading && !reading.complete) {
      // Broken in the body of a request already routed: that request's answer is the answer
      // (this one, if none has begun), and nothing but the close follows it.
      if (!inFlight?.headersSent) return answerClientError(error, socket, headers);
      if (inFlight.writableFinished) return void socket.end();
      inFlight.once('finish', () => socket.end());
      inFlight.once('close', () => socket.destroy());
      return;
    }
    if (inFlight && !inFlight.writableFinished) {
      // A request pipelined after one still being answered: answered after it, in the order
      // the client reads the answers.
      inFlight.once('finish', () => answerClientError(error, socket, headers));
      inFlight.once('close', () => {
        if (!inFlight.writableFinished) socket.destroy();
      });
      return;
    }
    answerClientError(error, socket, headers);
  } catch {
    socket.destroy();
  }
}

function answerClientError(error: Error & { code?: string }, socket: Socket, headers: Record<string, string>): void {
  try {
    if (socket.destroyed || !socket.writable) {
      socket.destroy();
      return;
    }
    let problem;
    if (error.code === 'HPE_HEADER_OVERFLOW') problem = problemFor('invalid_input', 'The request headers are too large (over 16 KB)', { status: 431 });
    else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') problem = problemFor('invalid_input', 'The request took too long to arrive', { status: 408 });
    else problem = problemFor('invalid_input', PARSER_ERRORS[error.code ?? ''] ?? 'The request is not valid HTTP');
    const body = JSON.stringify(problem);
    const lines = [
      `HTTP/1.1 ${problem.status} ${STATUS_TEXT[problem.status] ?? 'Bad Request'}`,
      'content-type: application/problem+json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      'cache-control: no-store',
      'connection: close',
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
    // Closed once written (or at once if the peer reads nothing): no further request on it.
    socket.setTimeout(5_000, () => socket.destroy());
  } catch {
    socket.destroy();
  }
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };
