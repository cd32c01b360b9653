import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { FailureLimiter } from '../../shared/auth/failure-limiter';
import { GitRefusal, REPO_NAME, ensureBareRepo, serveGitBackend, type RepoLimits } from './http-backend';
import { startPathCheck } from './path-check';

/**
 * Git hosting for the hub: `/git/<workspace>.git/*` over smart HTTP, served by the system `git http-backend`.
 * HTTP basic auth with the node token as the password (any username), so `git clone` by a person works with
 * the same token a node uses. Repositories live in `<reposDir>/<workspace>.git` and are created on first use.
 */
export interface GitHostingOptions {
  reposDir: string;
  /** the hub's node-token check: null for a bad or revoked token */
  authenticate(token: string): Promise<{ nodeId: string } | null>;
  log?: { info(msg: string, fields?: Record<string, unknown>): void; warn(msg: string, fields?: Record<string, unknown>): void };
  /** the hub's failed-authentication limiter: a blocked address is answered 429 before its token is checked */
  failures?: FailureLimiter;
  /** requests per address per window (the hub's setting), or false */
  rateLimit?: { max: number; windowMs: number } | false;
  /** request body bytes a push may send on the wire */
  maxBodyBytes: number;
  limits: RepoLimits;
}

export const GIT_DEFAULTS = { maxRepos: 100, maxPackBytes: 512 * 1024 * 1024 };

const SERVICES = new Set(['git-upload-pack', 'git-receive-pack']);

export async function registerGitHosting(app: FastifyInstance, options: GitHostingOptions): Promise<void> {
  const pathCheck = await startPathCheck();
  app.addHook('onClose', () => pathCheck.close());
  // Bodies are streamed to git untouched (the git CLI gzips them; http-backend inflates them itself).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  if (options.rateLimit) {
    await app.register(rateLimit, {
      global: true,
      max: options.rateLimit.max,
      timeWindow: options.rateLimit.windowMs,
      keyGenerator: (request) => `git:${request.ip}`,
      errorResponseBuilder: (_request, context) => ({ statusCode: 429, message: `Too many Git requests: at most ${context.max} per ${context.after}.` }),
    });
  }

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const url = new URL(request.url, 'http://hub.invalid');
    const match = /^\/git\/([^/]+)\.git(\/.*)$/.exec(url.pathname);
    if (!match || !REPO_NAME.test(match[1]!) || !isBackendPath(match[2]!, url.searchParams.get('service'))) {
      return reply.code(404).type('text/plain').send('Not a workspace repository path.\n');
    }
    const blocked = options.failures?.blockedFor(request.ip) ?? 0;
    if (blocked > 0) {
      return reply.code(429).header('retry-after', String(Math.ceil(blocked / 1000))).type('text/plain').send(`Too many failed authentications from this address: retry in ${Math.ceil(blocked / 1000)} s.\n`);
    }
    const node = await authenticate(request, options);
    if (!node) {
      if (request.headers.authorization) options.failures?.fail(request.ip); // git's first, credential-less probe is no failure
      return reply
        .code(401)
        .header('www-authenticate', 'Basic realm="Outpost Hub", charset="UTF-8"')
        .type('text/plain')
        .send('Authentication required: use the node token as the password (any username).\n');
    }
    const name = match[1]!;
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > options.maxBodyBytes) {
      return reply.code(413).type('text/plain').send(`The push is larger than this hub accepts (${options.maxBodyBytes} bytes on the wire): push fewer or smaller files.\n`);
    }
    try {
      await ensureBareRepo(options.reposDir, name, options.limits);
    } catch (error) {
      if (!(error instanceof GitRefusal)) throw error;
      options.log?.warn('git request refused', { workspace: name, nodeId: node.nodeId, reason: error.message });
      return reply.code(error.status).type('text/plain').send(`${error.message}\n`);
    }
    reply.hijack();
    await serveGitBackend(
      options.reposDir,
      {
        method: request.method,
        pathInfo: `/${name}.git${match[2]}`,
        query: url.search.slice(1),
        headers: request.headers,
        body: request.raw,
        remoteUser: node.nodeId,
        maxBodyBytes: options.maxBodyBytes,
        hookEnv: pathCheck.env,
      },
      reply.raw,
    );
    if (request.method === 'POST' && match[2] === '/git-receive-pack') options.log?.info('workspace pushed', { workspace: name, nodeId: node.nodeId });
  };
  app.get('/git/*', handler);
  app.post('/git/*', handler);
}

/** Only the smart-HTTP endpoints: no dumb-protocol file reads out of the repository. */
function isBackendPath(rest: string, service: string | null): boolean {
  if (rest === '/info/refs') return service !== null && SERVICES.has(service);
  return rest === '/git-upload-pack' || rest === '/git-receive-pack';
}

async function authenticate(request: FastifyRequest, options: GitHostingOptions): Promise<{ nodeId: string } | null> {
  const header = request.headers.authorization;
  if (!header || !/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const token = colon >= 0 ? decoded.slice(colon + 1) : '';
  if (token === '') return null;
  try {
    return await options.authenticate(token);
  } catch {
    return null;
  }
}

/**
 * The hub's plugin shape (server/app.ts HubPlugin): repositories under `<hub data>/git`, behind the hub's
 * failed-authentication limiter, request rate and body limit (`maxBodyBytes` overrides the last for pushes).
 */
export function gitHostingPlugin(options: { reposDir?: string; maxRepos?: number; maxPackBytes?: number; maxBodyBytes?: number } = {}) {
  return async (
    app: FastifyInstance,
    context: {
      auth: { authenticateNodeToken(token: string): Promise<{ nodeId: string } | null> };
      dataDir: string;
      log: GitHostingOptions['log'];
      failures: FailureLimiter;
      rateLimit: { max: number; windowMs: number } | false;
      bodyLimitBytes: number;
    },
  ): Promise<void> =>
    registerGitHosting(app, {
      reposDir: options.reposDir ?? join(context.dataDir, 'git'),
      authenticate: (token) => context.auth.authenticateNodeToken(token),
      log: context.log,
      failures: context.failures,
      rateLimit: context.rateLimit,
      maxBodyBytes: options.maxBodyBytes ?? context.bodyLimitBytes,
      limits: { maxRepos: options.maxRepos ?? GIT_DEFAULTS.maxRepos, maxPackBytes: options.maxPackBytes ?? GIT_DEFAULTS.maxPackBytes },
    });
}
