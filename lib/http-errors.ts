import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyHttpOptions, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody, errorCodeForStatus, type ErrorCode } from '../shared/errors';

/**
 * Malformed requests get the APIs' one error shape (shared/errors.ts `ErrorBody`) on the hub and on the node alike,
 * also where fastify or Node would answer with their own body or none: a request the HTTP parser refuses (Node's
 * `clientError`), a URL that is not validly percent-encoded or a path parameter past the router's length, a
 * missing Host header, an `Expect` other than 100-continue, and fastify's own refusals of a body (media type,
 * size, length). A message never repeats the request: no URL, header or byte of it, so no token either.
 */

const ERROR_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

/** What the parser refused, by Node's error code (llhttp's `HPE_*`, the server's timeouts). */
export function parserRefusal(errorCode: string | undefined): { status: number; message: string } {
  switch (errorCode) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'The request headers are larger than this server accepts.' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return { status: 408, message: 'The request did not arrive in time.' };
    case 'HPE_INVALID_METHOD':
      return { status: 400, message: 'The request line is malformed: its method is not an HTTP method.' };
    case 'HPE_INVALID_URL':
      return { status: 400, message: 'The request line is malformed: its target is not a valid URL path.' };
    case 'HPE_INVALID_VERSION':
      return { status: 400, message: 'The request line is malformed: send HTTP/1.1.' };
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
      return { status: 400, message: 'A request header is malformed (a character a header may not hold, or a broken line).' };
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CHUNK_SIZE':
      return { status: 400, message: 'The request body is framed wrong (Content-Length or Transfer-Encoding).' };
    default:
      return { status: 400, message: 'The request is not valid HTTP/1.1.' };
  }
}

/** A whole HTTP/1.1 answer for a socket whose request never became one. */
export function rawErrorResponse(status: number, code: ErrorCode, message: string): string {
  const body = JSON.stringify(errorBody(code, message));
  const headers = Object.entries(ERROR_HEADERS).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${headers}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/** fastify's `clientErrorHandler`: answers once, if nothing was written yet, then closes the connection. */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // a keep-alive connection may have answered earlier requests; only an answer already begun stops this one
  // (Node's own check: the response the socket is writing)
  const current = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  const { status, message } = parserRefusal(error.code);
  socket.end(rawErrorResponse(status, errorCodeForStatus(status), message));
  // a client that keeps the connection open after the answer does not hold it for long
  setTimeout(() => socket.destroy(), 2000).unref();
}

/** fastify's `frameworkErrors`: a bad URL or an overlong path parameter, before any route or hook ran. */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const refusal =
    error.code === 'FST_ERR_BAD_URL'
      ? { status: 400, message: 'The URL is not validly percent-encoded.' }
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? { status: 414, message: 'A part of the URL path is longer than this server accepts.' }
        : { status: 500, message: 'Internal error.' };
  void reply.code(refusal.status).headers(ERROR_HEADERS).send(errorBody(errorCodeForStatus(refusal.status), refusal.message));
}

/**
 * The fastify options both servers take. `requireHostHeader: false` hands a request without Host to the app
 * (Node would answer a bare 400): `refuseMissingHost` answers it in the APIs' shape.
 */
export const MALFORMED_REQUEST_OPTIONS = {
  clientErrorHandler: answerClientError,
  frameworkErrors: answerFrameworkError,
  http: { requireHostHeader: false },
} satisfies FastifyHttpOptions<Server>;

/** An HTTP/1.1 request must name its Host (RFC 9112 3.2); `alsoHttp10` for a server that needs it from every request. */
export function missingHost(request: FastifyRequest, alsoHttp10 = false): boolean {
  if (request.headers.host) return false;
  return request.raw.httpVersion === '1.1' || alsoHttp10;
}

export const MISSING_HOST_MESSAGE = 'The request has no Host header.';

/** Node answers an `Expect` it cannot meet with a bare 417: this listener answers it in the APIs' shape. */
export function answerExpectationsInShape(server: Server): void {
  server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    const body = JSON.stringify(errorBody(errorCodeForStatus(417), 'Only "Expect: 100-continue" is supported.'));
    response.writeHead(417, { ...ERROR_HEADERS, 'content-length': Buffer.byteLength(body), connection: 'close' });
    response.end(body);
  });
}

/**
 * fastify's own refusals of a request body, with a clear message (its own are terse) and the status fastify
 * gave; null for anything else (a handler's error: the server's error handler decides).
 */
export function bodyRefusal(error: { code?: unknown; statusCode?: unknown }, bodyLimit?: number): { status: number; code: ErrorCode; message: string } | null {
  const refusal = (status: number, message: string) => ({ status, code: errorCodeForStatus(status), message });
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
    case 'FST_ERR_CTP_EMPTY_TYPE':
      return refusal(415, 'Unsupported Content-Type: send the body as application/json.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return refusal(413, `The request body is larger than this server accepts${bodyLimit ? ` (${bodyLimit} bytes)` : ''}.`);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return refusal(400, 'The request body does not match its Content-Length.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return refusal(400, 'The body is empty while Content-Type says application/json: send {} or no Content-Type.');
    default:
      return null;
  }
}
