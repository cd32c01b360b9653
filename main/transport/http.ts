import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import serveStatic from '@fastify/static';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { join, extname, resolve } from 'node:path';
import { dispatch } from '../../shared/api/dispatch';
import { errorBody, errorCodeForStatus, httpStatusOf } from '../../shared/errors';
import { MALFORMED_REQUEST_OPTIONS, MISSING_HOST_MESSAGE, answerExpectationsInShape, bodyRefusal, missingHost } from '../../lib/http-errors';
import { acceptJsonBodiesOnly, parseBearer } from '../../lib/http-input';
import { openSseStream, type SseStream } from '../../lib/sse';
import type { Handlers } from '../../shared/api/index';
import type { EventBus } from '../events';
import type { Logger } from '../../lib/log';
import { createFailureLimiter } from '../../shared/auth/failure-limiter';
import { CONTENT_SECURITY_POLICY } from '../../shared/ui/csp';
import type { FileService } from '../files/service';
import { fileRoutes } from './http-files';

/**
 * The HTTP transport of the contract (the headless node, and the UI tests in a real browser):
 *   POST /api/<method>   JSON body in, JSON result out; errors as {error: {code, message}} with a status
 *   GET  /api/events     server-sent events for the contract's events
 *   GET  /auth?token=…   exchanges the token for a session: a random session id (never the token) in an HttpOnly
 *                        SameSite=Strict persistent cookie named per node, then redirects to /
 *   POST /auth/logout    revokes the session of the cookie and clears the cookie
 *   GET  / and /assets/* the built renderer (@fastify/static), under the UI's Content-Security-Policy (shared/ui/csp.ts)
 * Bound to 127.0.0.1 only; every request needs the token (Authorization header) or a live session (cookie), and
 * a loopback Host header. Sessions live in memory: they expire after `sessionTtlMs` without use (each use renews
 * them, and the cookie's Max-Age with them) and end with the process or a sign-out. Failed authentication is
 * counted per client address; past `authFailures.max` in a window the address gets 429 until the window ends.
 */
export interface HttpTransportOptions {
  handlers: Handlers;
  events: EventBus;
  /** the node's files: PUT /api/files and GET /api/files/<hash> (main/transport/http-files.ts) */
  files?: FileService;
  token: string;
  rendererDir: string;
  log: Logger;
  port: number;
  bodyLimitBytes?: number;
  /** names the session cookie, so two nodes on one machine do not overwrite each other's sessions */
  nodeId: string;
  /** a session unused this long is refused (sliding expiry); default 7 days */
  sessionTtlMs?: number;
  /** failed authentications per client address per window before 429; default 30 per minute */
  authFailures?: { max: number; windowMs: number };
  /** clock for sessions and the failure limiter (tests) */
  now?: () => number;
}

export const DEFAULT_SESSION_TTL_MS = 7 * 24 * 3600_000;
const MAX_SESSIONS = 1000;

/** `outpost_session_<12 hex of the node id's SHA-256>`: unique per node, stable across restarts, cookie-safe. */
export const sessionCookieName = (nodeId: string): string =>
  `outpost_session_${createHash('sha256').update(nodeId, 'utf8').digest('hex').slice(0, 12)}`;
const SSE_HEARTBEAT_MS = 15_000;

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export async function startHttpTransport(options: HttpTransportOptions): Promise<{ url: string; port: number; sessionCookie: string; close(): Promise<void> }> {
  // malformed requests (parser refusals, bad URLs, no Host) are answered in the one error shape too
  const app: FastifyInstance = Fastify({ bodyLimit: options.bodyLimitBytes ?? 16 * 1024 * 1024, logger: false, ...MALFORMED_REQUEST_OPTIONS });
  answerExpectationsInShape(app.server);
  // the session cookie is read and written by @fastify/cookie (parsed on every request, set on the answer)
  await app.register(cookie);
  let boundPort = 0;
  const streams = new Set<SseStream>();
  const now = options.now ?? Date.now;
  const ttlMs = options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const cookieName = sessionCookieName(options.nodeId);
  /** session id -> expiry (ms); in memory only */
  const sessions = new Map<string, number>();
  const failures = createFailureLimiter({ ...(options.authFailures ?? { max: 30, windowMs: 60_000 }), now });

  const tokenMatches = (candidate: string | undefined): boolean => {
    if (!candidate) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(options.token);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const cookieOptions = { httpOnly: true, sameSite: 'strict', path: '/' } as const;
  const setSessionCookie = (reply: FastifyReply, id: string) => reply.setCookie(cookieName, id, { ...cookieOptions, maxAge: Math.floor(ttlMs / 1000) });
  const newSession = (): string => {
    const t = now();
    for (const [id, expires] of sessions) if (expires <= t) sessions.delete(id);
    if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    sessions.set(id, t + ttlMs);
    return id;
  };
  /** true for a live session, which is renewed (server side and the cookie's Max-Age) */
  const useSession = (id: string | undefined, reply: FastifyReply): boolean => {
    if (!id) return false;
    const expires = sessions.get(id);
    if (expires === undefined) return false;
    const t = now();
    if (expires <= t) {
      sessions.delete(id);
      return false;
    }
    sessions.set(id, t + ttlMs);
    setSessionCookie(reply, id);
    return true;
  };
  const authenticated = (req: FastifyRequest, reply: FastifyReply): boolean => {
    // an Authorization header naming Bearer decides alone; without one, the session cookie
    const bearer = parseBearer(req.headers.authorization);
    if (bearer) return tokenMatches(bearer.token ?? undefined);
    return useSession(req.cookies[cookieName], reply);
  };
  /** null when the caller may go on; otherwise the refusal was sent (401, or 429 for a blocked address) */
  const refuse = (req: FastifyRequest, reply: FastifyReply, ok: () => boolean, message: string): FastifyReply | null => {
    const blocked = failures.blockedFor(req.ip);
    if (blocked === 0 && ok()) return null;
    const wait = blocked || failures.fail(req.ip);
    if (wait > 0) {
      reply.header('Retry-After', String(Math.ceil(wait / 1000)));
      return reply.code(429).send(errorBody('rate_limited', `Too many failed sign-ins from this address: retry in ${Math.ceil(wait / 1000)} s.`));
    }
    return reply.code(401).send(errorBody('unauthorized', message));
  };

  app.addHook('onRequest', async (req, reply) => {
    // DNS-rebinding guard: only loopback names for our own port are accepted.
    if (missingHost(req, true)) return reply.code(400).send(errorBody('invalid_input', MISSING_HOST_MESSAGE));
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${boundPort}` && host !== `localhost:${boundPort}`) {
      return reply.code(403).send(errorBody('forbidden', 'Foreign Host header refused.'));
    }
    reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('Cache-Control', 'no-store');
    return undefined;
  });

  // Only JSON bodies are parsed (strict UTF-8; an empty one is {}); anything else is refused before a handler runs
  // (and a cross-site form post cannot send JSON without a preflight).
  acceptJsonBodiesOnly(app, { emptyBody: () => ({}) });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, req, reply) => {
    const refusal = bodyRefusal(error, req.routeOptions.bodyLimit);
    if (refusal) return void reply.code(refusal.status).send(errorBody(refusal.code, refusal.message));
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) options.log.error('http transport error', { error });
    const message = status >= 500 ? 'Internal error: see the node log.' : String(error.message).slice(0, 300);
    void reply.code(status).send(errorBody(errorCodeForStatus(status), message));
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send(errorBody('not_found', `No route ${req.method} ${req.url.split('?')[0]}`.slice(0, 300))));

  app.get('/auth', async (req, reply) => {
    const token = (req.query as Record<string, string | undefined>).token;
    const refused = refuse(req, reply, () => tokenMatches(typeof token === 'string' ? token : undefined), 'Invalid dashboard link.');
    if (refused) return refused;
    setSessionCookie(reply, newSession());
    return reply.redirect('/', 303);
  });

  // Sign out: the session ends on the node (a copied cookie no longer works), and the browser drops the cookie.
  app.post('/auth/logout', async (req, reply) => {
    const origin = req.headers.origin;
    if (origin && origin !== `http://127.0.0.1:${boundPort}` && origin !== `http://localhost:${boundPort}`) {
      return reply.code(403).send(errorBody('forbidden', 'Cross-origin calls are refused.'));
    }
    const id = req.cookies[cookieName];
    const existed = id !== undefined && sessions.delete(id);
    reply.clearCookie(cookieName, cookieOptions);
    return reply.code(200).send({ signedOut: existed });
  });

  app.post<{ Params: { method: string } }>('/api/:method', async (req, reply) => {
    const refused = refuse(req, reply, () => authenticated(req, reply), 'A valid API token is required (Authorization: Bearer <token>).');
    if (refused) return refused;
    const origin = req.headers.origin;
    if (origin && origin !== `http://127.0.0.1:${boundPort}` && origin !== `http://localhost:${boundPort}`) {
      return reply.code(403).send(errorBody('forbidden', 'Cross-origin calls are refused.'));
    }
    const envelope = await dispatch(options.handlers, req.params.method, req.body, { transport: 'http' }, (error, method) =>
      options.log.error('handler failed', { method, error }),
    );
    if (envelope.ok) return reply.code(200).send(envelope.value === undefined ? null : envelope.value);
    return reply.code(httpStatusOf(envelope.error.code)).send({ error: envelope.error });
  });

  if (options.files) {
    const sameOrigin = (req: FastifyRequest, reply: FastifyReply): FastifyReply | null => {
      const origin = req.headers.origin;
      if (!origin || origin === `http://127.0.0.1:${boundPort}` || origin === `http://localhost:${boundPort}`) return null;
      return reply.code(403).send(errorBody('forbidden', 'Cross-origin calls are refused.'));
    };
    const guard = (req: FastifyRequest, reply: FastifyReply) =>
      refuse(req, reply, () => authenticated(req, reply), 'A valid API token is required (Authorization: Bearer <token>).') ?? sameOrigin(req, reply);
    await app.register(fileRoutes(options.files, guard));
  }

  app.get('/api/events', async (req, reply) => {
    const refused = refuse(req, reply, () => authenticated(req, reply), 'A valid API token is required.');
    if (refused) return refused;
    let unsubscribe = () => {};
    const stream = openSseStream(reply, {
      heartbeatMs: SSE_HEARTBEAT_MS,
      onEnd: () => {
        unsubscribe();
        streams.delete(stream);
      },
    });
    stream.comment('connected');
    unsubscribe = options.events.subscribe((event, payload) => stream.send(event, payload));
    streams.add(stream);
    return reply;
  });

  // The built renderer: our routes decide which names are served, @fastify/static streams the file (a missing
  // one is the 404 of every unknown route). Headers of its own (caching, validators) are off: every answer is
  // no-store; the content type is ours.
  const rendererRoot = resolve(options.rendererDir);
  await app.register(serveStatic, {
    root: rendererRoot,
    serve: false,
    cacheControl: false,
    etag: false,
    lastModified: false,
    contentType: false,
    suppressWarning: true,
    setHeaders: (reply, path) => reply.type(contentTypes[extname(path)] ?? 'application/octet-stream'),
  });
  app.get('/', (_req, reply) => reply.sendFile('index.html'));
  app.get<{ Params: { file: string } }>('/assets/:file', (req, reply) => {
    // a flat folder of build outputs: names only, no separators, no dot-files
    if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,200}$/.test(req.params.file)) {
      return reply.code(404).send(errorBody('not_found', 'No such file.'));
    }
    return reply.sendFile(req.params.file, join(rendererRoot, 'assets'));
  });

  await app.listen({ host: '127.0.0.1', port: options.port });
  const address = app.server.address();
  boundPort = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://127.0.0.1:${boundPort}`,
    sessionCookie: cookieName,
    port: boundPort,
    async close() {
      for (const stream of streams) stream.end();
      await app.close();
    },
  };
}
