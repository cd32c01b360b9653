import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { REPO_NAME, ensureBareRepo, serveGitBackend } from './http-backend';

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
}

const SERVICES = new Set(['git-upload-pack', 'git-receive-pack']);

export async function registerGitHosting(app: FastifyInstance, options: GitHostingOptions): Promise<void> {
  // Bodies are streamed to git untouched (the git CLI gzips them; http-backend inflates them itself).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const url = new URL(request.url, 'http://hub.invalid');
    const match = /^\/git\/([^/]+)\.git(\/.*)$/.exec(url.pathname);
    if (!match || !REPO_NAME.test(match[1]!) || !isBackendPath(match[2]!, url.searchParams.get('service'))) {
      return reply.code(404).type('text/plain').send('Not a workspace repository path.\n');
    }
    const node = await authenticate(request, options);
    if (!node) {
      return reply
        .code(401)
        .header('www-authenticate', 'Basic realm="Outpost Hub", charset="UTF-8"')
        .type('text/plain')
        .send('Authentication required: use the node token as the password (any username).\n');
    }
    const name = match[1]!;
    await ensureBareRepo(options.reposDir, name);
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

/** The hub's plugin shape (server/app.ts HubPlugin): repositories under `<hub data>/git`. */
export function gitHostingPlugin(reposDir?: string) {
  return async (
    app: FastifyInstance,
    context: { auth: { authenticateNodeToken(token: string): Promise<{ nodeId: string } | null> }; dataDir: string; log: GitHostingOptions['log'] },
  ): Promise<void> =>
    registerGitHosting(app, {
      reposDir: reposDir ?? join(context.dataDir, 'git'),
      authenticate: (token) => context.auth.authenticateNodeToken(token),
      log: context.log,
    });
}
