import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { readFile } from 'node:fs/promises';
import { timingSafeEqual } from 'node:crypto';
import { join, extname } from 'node:path';
import { dispatch } from '../../shared/api/dispatch';
import { httpStatusOf } from '../../shared/errors';
import type { Handlers } from '../../shared/api/index';
import type { EventBus } from '../events';
import type { Logger } from '../log';

/**
 * The HTTP transport of the contract (the headless node, and the UI tests in a real browser):
 *   POST /api/<method>   JSON body in, JSON result out; errors as {error: {code, message}} with a status
 *   GET  /api/events     server-sent events for the contract's events
 *   GET  /auth?token=…   exchanges the token once for an HttpOnly SameSite=Strict cookie, then redirects to /
 *   GET  / and /assets/* the built renderer, under a strict Content-Security-Policy
 * Bound to 127.0.0.1 only; every request needs the token (header or cookie) and a loopback Host header.
 */
export interface HttpTransportOptions {
  handlers: Handlers;
  events: EventBus;
  token: string;
  rendererDir: string;
  log: Logger;
  port: number;
  bodyLimitBytes?: number;
}

export const SESSION_COOKIE = 'outpost_session';
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export async function startHttpTransport(options: HttpTransportOptions): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const app: FastifyInstance = Fastify({ bodyLimit: options.bodyLimitBytes ?? 16 * 1024 * 1024, logger: false });
  let boundPort = 0;
  const streams = new Set<FastifyReply>();

  const tokenMatches = (candidate: string | undefined): boolean => {
    if (!candidate) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(options.token);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const presentedToken = (req: FastifyRequest): string | undefined => {
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) return header.slice(7).trim();
    return parseCookies(req.headers.cookie)[SESSION_COOKIE];
  };

  app.addHook('onRequest', async (req, reply) => {
    // DNS-rebinding guard: only loopback names for our own port are accepted.
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${boundPort}` && host !== `localhost:${boundPort}`) {
      return reply.code(403).send({ error: { code: 'forbidden', message: 'Foreign Host header refused.' } });
    }
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('Cache-Control', 'no-store');
    return undefined;
  });

  // Only JSON bodies are parsed; anything else is refused before a handler runs (and a cross-site form post
  // cannot send JSON without a preflight).
  app.removeAllContentTypeParsers();
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
    if ((body as Buffer).length === 0) return done(null, {});
    try {
      // fatal: bytes that are not UTF-8 are refused, not silently turned into U+FFFD and stored
      done(null, JSON.parse(utf8.decode(body as Buffer)));
    } catch {
      const error = new Error('The request body is not valid UTF-8 JSON.') as Error & { statusCode: number };
      error.statusCode = 400;
      done(error, undefined);
    }
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = error.statusCode ?? 500;
    const code = status === 413 ? 'payload_too_large' : status === 415 || status === 400 ? 'invalid_input' : 'internal';
    if (status >= 500) options.log.error('http transport error', { error });
    const message = status >= 500 ? 'Internal error: see the node log.' : error.message;
    void reply.code(status).send({ error: { code, message } });
  });

  app.get('/auth', async (req, reply) => {
    const token = (req.query as Record<string, string | undefined>).token;
    if (!tokenMatches(token)) return reply.code(401).type('text/plain').send('Invalid or expired dashboard link.');
    reply.header('Set-Cookie', `${SESSION_COOKIE}=${options.token}; HttpOnly; SameSite=Strict; Path=/`);
    return reply.redirect('/', 303);
  });

  app.post<{ Params: { method: string } }>('/api/:method', async (req, reply) => {
    if (!tokenMatches(presentedToken(req))) {
      return reply.code(401).send({ error: { code: 'unauthorized', message: 'A valid API token is required (Authorization: Bearer <token>).' } });
    }
    const origin = req.headers.origin;
    if (origin && origin !== `http://127.0.0.1:${boundPort}` && origin !== `http://localhost:${boundPort}`) {
      return reply.code(403).send({ error: { code: 'forbidden', message: 'Cross-origin calls are refused.' } });
    }
    const envelope = await dispatch(options.handlers, req.params.method, req.body, { transport: 'http' }, (error, method) =>
      options.log.error('handler failed', { method, error }),
    );
    if (envelope.ok) return reply.code(200).send(envelope.value === undefined ? null : envelope.value);
    return reply.code(httpStatusOf(envelope.error.code)).send({ error: envelope.error });
  });

  app.get('/api/events', async (req, reply) => {
    if (!tokenMatches(presentedToken(req))) {
      return reply.code(401).send({ error: { code: 'unauthorized', message: 'A valid API token is required.' } });
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Content-Type-Options': 'nosniff',
    });
    res.write(': connected\n\n');
    const unsubscribe = options.events.subscribe((event, payload) => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': ping\n\n'), 15_000);
    streams.add(reply);
    req.raw.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(reply);
    });
    return reply;
  });

  const sendStatic = async (reply: FastifyReply, relative: string) => {
    try {
      const body = await readFile(join(options.rendererDir, relative));
      const type = contentTypes[extname(relative)] ?? 'application/octet-stream';
      if (type.startsWith('text/html')) reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
      return reply.type(type).send(body);
    } catch {
      return reply.code(404).send({ error: { code: 'not_found', message: 'No such file.' } });
    }
  };
  app.get('/', (_req, reply) => sendStatic(reply, 'index.html'));
  app.get<{ Params: { file: string } }>('/assets/:file', (req, reply) => {
    // a flat folder of build outputs: names only, no separators, no dot-files
    if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,200}$/.test(req.params.file)) {
      return reply.code(404).send({ error: { code: 'not_found', message: 'No such file.' } });
    }
    return sendStatic(reply, join('assets', req.params.file));
  });

  await app.listen({ host: '127.0.0.1', port: options.port });
  const address = app.server.address();
  boundPort = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://127.0.0.1:${boundPort}`,
    port: boundPort,
    async close() {
      for (const stream of streams) stream.raw.end();
      await app.close();
    },
  };
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}
