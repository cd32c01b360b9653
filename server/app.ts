import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { constants as zlibConstants } from 'node:zlib';
import compress from '@fastify/compress';
import rateLimit from '@fastify/rate-limit';
import { z } from 'zod';
import { OutpostError, errorCodeForStatus, httpStatusOf, isErrorCode, type ErrorCode } from '../shared/errors';
import { MALFORMED_REQUEST_OPTIONS, MISSING_HOST_MESSAGE, answerExpectationsInShape, bodyRefusal, missingHost } from '../lib/http-errors';
import { acceptJsonBodiesOnly, parseBearer } from '../lib/http-input';
import { openSseStream } from '../lib/sse';
import {
  enrollRequestSchema,
  nodeIdSchema,
  parsedPushRequestSchema,
  recordsRequestSchema,
  cursorSchema,
  type PushResult,
} from '../shared/sync/wire';
import type { Logger } from '../lib/log';
import type { HubDatabase } from './db/database';
import type { HubAuth } from './auth';
import { createFailureLimiter, type FailureLimiter } from '../shared/auth/failure-limiter';
import type { ChangeFeed } from './change-feed';
import { findUnsafeJson } from '../shared/sync/json-safety';
import { DEFAULT_MAX_CLOCK_AHEAD_MS, getRecords, headSeq, pullChangesJson, pushChanges } from './sync-store';

type AuthKind = 'none' | 'node' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthKind;
  }
  interface FastifyRequest {
    hubNode: { nodeId: string; name: string } | null;
  }
}

/** The hub's services, shared by the sync API and the plugins. */
export interface HubServices {
  auth: HubAuth;
  db: HubDatabase;
  dataDir: string;
  log: Logger;
}

/**
 * What a plugin mounted on the hub (e.g. Git hosting under /git/) gets to work with: the services, and the
 * guards every route sits behind (the failed-authentication limiter is the sync API's own instance, so a
 * guessing client is blocked on both; the request rate and body size are the hub's settings).
 */
export interface HubPluginContext extends HubServices {
  failures: FailureLimiter;
  rateLimit: { max: number; windowMs: number } | false;
  bodyLimitBytes: number;
}
export type HubPlugin = (app: FastifyInstance, context: HubPluginContext) => Promise<void>;

export interface HubAppOptions extends HubServices {
  feed: ChangeFeed;
  version: string;
  /** Largest request body accepted, counted after decompression (a compression bomb is refused). */
  bodyLimitBytes: number;
  /** Requests per node (or per address, before authentication) per window; false turns the limit off. */
  rateLimit: { max: number; windowMs: number } | false;
  /** Failed authentications per client address per window; past it the address gets 429 with no database query. */
  authFailures?: { max: number; windowMs: number };
  /** Interval of SSE heartbeats; each one also re-checks the stream's token, so revocation ends it. */
  heartbeatMs: number;
  /** How far past the hub's clock a change's hybrid logical clock may run; later ones are refused (clock_ahead). */
  maxClockAheadMs?: number;
  plugins: HubPlugin[];
}

const PULL_DEFAULT_LIMIT = 1000;
const PULL_MAX_LIMIT = 10_000;

const pullQuerySchema = z
  .object({
    since: z.coerce.number().pipe(cursorSchema).default(0),
    limit: z.coerce.number().int().min(1).max(PULL_MAX_LIMIT).default(PULL_DEFAULT_LIMIT),
    delta: z.enum(['0', '1', 'true', 'false']).optional(),
  })
  .strict();

function parseInput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : what}: ${i.message}`)
    .join('; ');
  throw new OutpostError('invalid_input', `Invalid ${what}: ${details}`.slice(0, 1000));
}

/** A client error whose HTTP status is not its code's usual one (sendError keeps both). */
const httpRefusal = (statusCode: number, code: ErrorCode, message: string): Error => Object.assign(new Error(message), { statusCode, code });

/** PostgreSQL refusing a value (class 22: data exception, 54: limit exceeded) is the client's fault. */
const isPostgresInputError = (error: unknown): boolean => {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^(22|54)[0-9A-Z]{3}$/.test(code);
};

/** The database is down or the connection to it broke: a retry soon will likely succeed (503, not 500). */
const isDatabaseUnavailable = (error: unknown): boolean => {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (/^(08|57P0)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH'].includes(code))) return true;
  return typeof message === 'string' && /Connection terminated|connection timeout|Client has encountered a connection error|Client was closed/i.test(message);
};

function sendError(reply: FastifyReply, error: unknown, log: Logger): FastifyReply {
  let status: number;
  let body: { code: ErrorCode; message: string };
  const refusal = bodyRefusal((error ?? {}) as { code?: unknown }, reply.request.routeOptions.bodyLimit);
  if (refusal) {
    status = refusal.status;
    body = { code: refusal.code, message: refusal.message };
  } else if (error instanceof OutpostError) {
    status = httpStatusOf(error.code);
    body = { code: error.code, message: error.message };
  } else if (isDatabaseUnavailable(error)) {
    status = 503;
    body = { code: 'unavailable', message: 'The hub database is unavailable for a moment: retry later.' };
    reply.header('retry-after', '2');
  } else if (isPostgresInputError(error)) {
    status = 400;
    body = { code: 'invalid_input', message: `The database refused a value: ${(error as Error).message}`.slice(0, 500) };
  } else {
    const e = error as { statusCode?: unknown; code?: unknown; message?: unknown };
    const fastifyStatus = typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 600 ? e.statusCode : 500;
    status = fastifyStatus;
    if (status >= 500) {
      log.error('hub request failed', { error });
      body = { code: 'internal', message: 'Internal hub error: see the hub log.' };
    } else {
      const code = isErrorCode(e.code) ? e.code : errorCodeForStatus(status);
      body = { code, message: typeof e.message === 'string' ? e.message.slice(0, 500) : 'Bad request.' };
    }
  }
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="Outpost Hub"');
  return reply.code(status).type('application/json').send({ error: body });
}

const bearerToken = (request: FastifyRequest): string | null => parseBearer(request.headers.authorization)?.token ?? null;

export async function buildHubApp(options: HubAppOptions): Promise<FastifyInstance> {
  const { db, auth, log } = options;
  const openStreams = new Set<() => void>();
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimitBytes,
    return503OnClosing: true,
    forceCloseConnections: true,
    // malformed requests (parser refusals, bad URLs, no Host) are answered in the one error shape too
    ...MALFORMED_REQUEST_OPTIONS,
  });
  answerExpectationsInShape(app.server);
  app.decorateRequest('hubNode', null);
  app.setErrorHandler((error, _request, reply) => sendError(reply, error, log));
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new OutpostError('not_found', `No route ${request.method} ${request.url.split('?')[0]}`.slice(0, 300)), log),
  );
  app.addHook('onRequest', async (request) => {
    if (missingHost(request)) throw new OutpostError('invalid_input', MISSING_HOST_MESSAGE);
  });

  app.get('/health', async (_request, reply) => {
    try {
      await db.query('SELECT 1');
      return { ok: true, version: options.version, database: db.kind };
    } catch {
      return reply.code(503).send({ ok: false, version: options.version, database: db.kind });
    }
  });

  // The sync API lives in its own encapsulated context: compression, rate limits and body checks apply here
  // and not to plugins mounted beside it (Git's smart HTTP brings its own gzip handling and body sizes).
  // Changes refused since this hub process started, by refusal code: each one is also logged with its node.
  const refused = new Map<string, number>();
  const countRefusals = (nodeId: string, results: PushResult[]) => {
    for (const r of results) {
      if (r.status !== 'rejected') continue;
      refused.set(r.error.code, (refused.get(r.error.code) ?? 0) + 1);
      log.warn('change refused', { nodeId, changeId: r.changeId, code: r.error.code, reason: r.error.message });
    }
  };
  const failures = createFailureLimiter(options.authFailures ?? { max: 30, windowMs: 60_000 });
  const authFailed = (request: FastifyRequest, message: string): OutpostError => {
    failures.fail(request.ip);
    return new OutpostError('unauthorized', message);
  };
  await app.register(async (api) => {
    api.addHook('onRequest', async (request, reply) => {
      const kind = request.routeOptions.config.auth ?? 'node';
      if (kind === 'none') return;
      // a blocked address is refused before its token costs a database query
      const blocked = failures.blockedFor(request.ip);
      if (blocked > 0) {
        reply.header('retry-after', String(Math.ceil(blocked / 1000)));
        throw new OutpostError('rate_limited', `Too many failed authentications from this address: retry in ${Math.ceil(blocked / 1000)} s.`);
      }
      const token = bearerToken(request);
      if (!token) throw authFailed(request, 'Missing token: send "Authorization: Bearer <token>".');
      if (kind === 'admin') {
        if (!(await auth.isAdminToken(token))) throw authFailed(request, 'This needs the hub admin token (the admin-token file in the hub data folder).');
        return;
      }
      const check = await auth.checkNodeToken(token);
      if (check.status === 'revoked') throw authFailed(request, 'This node token was revoked: enroll the node again.');
      if (check.status !== 'ok') throw authFailed(request, 'Invalid node token.');
      request.hubNode = { nodeId: check.nodeId, name: check.name };
    });

    if (options.rateLimit) {
      await api.register(rateLimit, {
        global: true,
        max: options.rateLimit.max,
        timeWindow: options.rateLimit.windowMs,
        hook: 'preParsing', // after authentication (onRequest), before a body is read
        keyGenerator: (request) => (request.hubNode ? `node:${request.hubNode.nodeId}` : `addr:${request.ip}`),
        errorResponseBuilder: (_request, context) =>
          new OutpostError('rate_limited', `Too many requests: at most ${context.max} per ${context.after}. Retry after ${context.after}.`),
      });
    }
    await api.register(compress, {
      global: true,
      threshold: 1024,
      encodings: ['br', 'gzip'],
      // The fastest levels: on a pull page of 10,000 records brotli 4 (the plugin's default) cost 2.7 µs a record
      // and gzip 6 2.4, brotli 1 0.8 and gzip 1 1.5, for 7% more bytes (brotli 1 is still smaller than gzip 6).
      brotliOptions: { params: { [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT, [zlibConstants.BROTLI_PARAM_QUALITY]: 1 } },
      zlibOptions: { level: 1 },
      requestEncodings: ['br', 'gzip'],
      // 415 like an unsupported Content-Type, with the same error code (the body itself may be fine)
      onUnsupportedRequestEncoding: (encoding) =>
        httpRefusal(415, 'invalid_input', `Unsupported Content-Encoding ${JSON.stringify(encoding).slice(0, 40)}: send the body as gzip, br or uncompressed.`),
      onInvalidRequestPayload: (encoding) => new OutpostError('invalid_input', `The request body is not valid ${encoding} data.`),
    });

    // JSON bodies only (anything else is 415), and valid UTF-8: the default parser would quietly turn bad bytes
    // into U+FFFD and store them.
    acceptJsonBodiesOnly(api);

    api.addHook('preValidation', async (request) => {
      if (request.body === undefined) return;
      const problem = findUnsafeJson(request.body);
      if (problem) throw new OutpostError('invalid_input', `Invalid body: ${problem}.`);
    });

    api.post('/v1/nodes', { config: { auth: 'admin' } }, async (request, reply) => {
      const input = parseInput(enrollRequestSchema, request.body, 'enrollment');
      const enrolled = await auth.enrollNode(input.name, input.nodeId);
      log.info('node enrolled', { nodeId: enrolled.nodeId, name: input.name });
      return reply.code(201).send(enrolled);
    });

    // Rotation: the caller's admin token (and any other) stops working; the new one is answered once and
    // written to the admin-token file of this hub's data folder.
    api.post('/v1/admin/rotate', { config: { auth: 'admin' } }, async (request, reply) => {
      if (request.body !== undefined && (typeof request.body !== 'object' || request.body === null || Object.keys(request.body).length > 0)) {
        throw new OutpostError('invalid_input', 'Admin token rotation takes no input (send {} or no body).');
      }
      const token = await auth.rotateAdminToken(options.dataDir);
      log.info('admin token rotated', {});
      return reply.code(200).send({ token });
    });

    api.delete<{ Params: { nodeId: string } }>('/v1/nodes/:nodeId', { config: { auth: 'admin' } }, async (request) => {
      const nodeId = parseInput(nodeIdSchema, request.params.nodeId, 'node id');
      await auth.revokeNode(nodeId);
      log.info('node revoked', { nodeId });
      return { revoked: true };
    });

    api.get('/v1/admin/stats', { config: { auth: 'admin' } }, async () => ({ refused: Object.fromEntries(refused) }));

    // The enrollment names of the hub's nodes, so a node can say whose write it conflicts with ("laptop", not an id).
    api.get('/v1/nodes', async () => {
      const { rows } = await db.query<{ id: string; name: string }>('SELECT id, name FROM nodes WHERE revoked_at IS NULL ORDER BY id LIMIT 10000');
      return { nodes: rows.map((r) => ({ nodeId: r.id, name: r.name })) };
    });

    api.get('/v1/whoami', async (request) => ({ nodeId: request.hubNode!.nodeId, name: request.hubNode!.name }));

    api.post('/v1/push', async (request) => {
      const node = request.hubNode!;
      // the body came from JSON.parse and passed findUnsafeJson: the fast path's precondition
      const input = parseInput(parsedPushRequestSchema, request.body, 'push');
      const foreign = input.changes.find((c) => c.nodeId !== node.nodeId);
      if (foreign) {
        throw new OutpostError('forbidden', `A node pushes only its own changes: change ${foreign.changeId} names node ${foreign.nodeId}, this token is node ${node.nodeId}. Nothing was applied.`);
      }
      const outcome = await pushChanges(db, node.nodeId, input.changes, { nowMs: Date.now(), maxClockAheadMs: options.maxClockAheadMs ?? DEFAULT_MAX_CLOCK_AHEAD_MS });
      countRefusals(node.nodeId, outcome.results);
      return { results: outcome.results };
    });

    api.get('/v1/pull', async (request, reply) => {
      const q = parseInput(pullQuerySchema, request.query, 'pull query');
      const json = await pullChangesJson(db, request.hubNode!.nodeId, q.since, q.limit, q.delta === '1' || q.delta === 'true');
      return reply.type('application/json; charset=utf-8').send(json);
    });

    api.post('/v1/records', async (request) => {
      const input = parseInput(recordsRequestSchema, request.body, 'records request');
      return { records: await getRecords(db, input.keys) };
    });

    api.get('/v1/events', (request, reply) => serveEvents(request, reply, options, openStreams));
  });

  // ---- Extension point: plugins mounted beside the sync API (Git hosting: server/git/ at /git/<workspace>.git/*).
  // They get `auth.authenticateNodeToken` to check the node token sent as the HTTP basic password.
  for (const plugin of options.plugins) {
    await app.register(async (scope) =>
      plugin(scope, { auth, db, dataDir: options.dataDir, log, failures, rateLimit: options.rateLimit, bodyLimitBytes: options.bodyLimitBytes }),
    );
  }

  app.addHook('preClose', async () => {
    for (const end of openStreams) end();
  });
  return app;
}

/**
 * `GET /v1/events`: Server-Sent Events. `event: changes` with the newest seq when connected and after every
 * push another node made (through any hub process), comment heartbeats in between. Any hub process can serve
 * any stream: no sticky sessions.
 */
async function serveEvents(request: FastifyRequest, reply: FastifyReply, options: HubAppOptions, openStreams: Set<() => void>): Promise<void> {
  const node = request.hubNode!;
  const token = bearerToken(request)!;
  const head = await headSeq(options.db);
  let unsubscribe = () => {};
  const stream = openSseStream(reply, {
    retryMs: 2000,
    heartbeatMs: options.heartbeatMs,
    onHeartbeat: () =>
      options.auth.checkNodeToken(token).then(
        (check) => {
          if (check.status !== 'ok') stream.end();
        },
        () => undefined, // the database is away for a moment: keep the stream, the next beat checks again
      ),
    onEnd: () => {
      unsubscribe();
      openStreams.delete(end);
    },
  });
  const end = () => stream.end();
  const send = (seq: number) => stream.send('changes', { seq });
  send(head);

  let lastSent = head;
  unsubscribe = options.feed.subscribe((event) => {
    if (event.nodeId === node.nodeId || event.seq <= lastSent) return;
    lastSent = event.seq;
    send(event.seq);
  });
  openStreams.add(end);
}
