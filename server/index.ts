import { mkdirSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger, type Logger } from '../lib/log';
import { OutpostError } from '../shared/errors';
import { buildHubApp, type HubPlugin } from './app';
import { createHubAuth, ensureAdminToken, type HubAuth } from './auth';
import { ChangeFeed } from './change-feed';
import type { HubDatabase } from './db/database';
import { migrate } from './db/migrations';
import { openPglite } from './db/pglite';
import { openPostgres } from './db/postgres';
import { gitHostingPlugin } from './git/index';

export type { HubPlugin, HubPluginContext } from './app';
export { createHubAuth, type HubAuth } from './auth';

export const HUB_VERSION = '0.1.0';

export interface HubOptions {
  /** Holds the admin token and, without a database URL, the embedded database (hub-db/). */
  dataDir: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Loopback unless told otherwise. */
  host?: string;
  /** Any PostgreSQL; without it the hub runs on embedded PGlite under dataDir/hub-db. */
  databaseUrl?: string;
  bodyLimitBytes?: number;
  rateLimit?: { max: number; windowMs: number } | false;
  /** failed authentications per client address per window before 429 */
  authFailures?: { max: number; windowMs: number };
  heartbeatMs?: number;
  /** How far past the hub's clock a change may be stamped (default 5 minutes); later ones are refused. */
  maxClockAheadMs?: number;
  /** Git smart HTTP for workspaces at /git/<workspace>.git (repositories under dataDir/git); on by default. */
  gitHosting?: boolean;
  /** Git hosting's caps: repositories held, inflated pack size, push bytes on the wire (default: the body limit) */
  git?: { maxRepos?: number; maxPackBytes?: number; maxBodyBytes?: number };
  /** More plugins mounted beside the sync API. */
  plugins?: HubPlugin[];
  log?: Logger;
}

export interface RunningHub {
  url: string;
  port: number;
  adminToken: string;
  database: 'pglite' | 'postgres';
  auth: HubAuth;
  close(): Promise<void>;
}

export const DEFAULTS = {
  bodyLimitBytes: 32 * 1024 * 1024,
  rateLimit: { max: 1200, windowMs: 60_000 },
  heartbeatMs: 15_000,
};

export async function startHub(options: HubOptions): Promise<RunningHub> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const log = options.log ?? createLogger({ quiet: true });
  const db: HubDatabase = options.databaseUrl
    ? await openPostgres(options.databaseUrl, { onError: (error) => log.warn('database connection error', { error }) })
    : await openPglite(join(dataDir, 'hub-db'));
  let feed: ChangeFeed | null = null;
  try {
    await migrate(db);
    const adminToken = await ensureAdminToken(db, dataDir);
    const auth = createHubAuth(db);
    feed = await ChangeFeed.start(db, options.heartbeatMs ?? DEFAULTS.heartbeatMs);
    const app = await buildHubApp({
      db,
      auth,
      feed,
      log,
      dataDir,
      version: HUB_VERSION,
      bodyLimitBytes: options.bodyLimitBytes ?? DEFAULTS.bodyLimitBytes,
      rateLimit: options.rateLimit ?? DEFAULTS.rateLimit,
      ...(options.authFailures ? { authFailures: options.authFailures } : {}),
      heartbeatMs: options.heartbeatMs ?? DEFAULTS.heartbeatMs,
      ...(options.maxClockAheadMs !== undefined ? { maxClockAheadMs: options.maxClockAheadMs } : {}),
      plugins: [...(options.gitHosting === false ? [] : [gitHostingPlugin(options.git ?? {})]), ...(options.plugins ?? [])],
    });
    const host = options.host ?? '127.0.0.1';
    await app.listen({ port: options.port ?? 0, host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : Number(options.port);
    const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
    let closing: Promise<void> | null = null;
    const openFeed = feed;
    return {
      url: `http://${urlHost}:${port}`,
      port,
      adminToken,
      database: db.kind,
      auth,
      close: () =>
        (closing ??= (async () => {
          await app.close();
          await openFeed.close();
          await db.close();
        })()),
    };
  } catch (error) {
    await feed?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw error;
  }
}

const USAGE = `usage: outpost hub --data DIR [--port N] [--host H] [--database-url URL]
                   [--body-limit-mb N] [--rate-limit N_PER_MINUTE | --rate-limit 0 (off)] [--git-max-repos N]
  Without --database-url (or OUTPOST_HUB_DATABASE_URL) the hub runs on embedded PGlite under DIR/hub-db.`;

function parseHubArgs(argv: string[]): HubOptions {
  const args = argv[0] === 'hub' ? argv.slice(1) : argv;
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      data: { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'database-url': { type: 'string' },
      'body-limit-mb': { type: 'string' },
      'rate-limit': { type: 'string' },
      'git-max-repos': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!values.data) throw new OutpostError('invalid_input', `--data DIR is required.\n${USAGE}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new OutpostError('invalid_input', `--port must be 0-65535, not ${values.port}.`);
  const options: HubOptions = { dataDir: values.data, port, host: values.host };
  const url = values['database-url'] ?? process.env.OUTPOST_HUB_DATABASE_URL;
  if (url) options.databaseUrl = url;
  if (values['git-max-repos'] !== undefined) {
    const n = Number(values['git-max-repos']);
    if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new OutpostError('invalid_input', '--git-max-repos must be a whole number from 1 to 100000.');
    options.git = { maxRepos: n };
  }
  if (values['body-limit-mb']) {
    const mb = Number(values['body-limit-mb']);
    if (!(mb > 0 && mb <= 1024)) throw new OutpostError('invalid_input', '--body-limit-mb must be between 0 and 1024.');
    options.bodyLimitBytes = Math.round(mb * 1024 * 1024);
  }
  if (values['rate-limit'] !== undefined) {
    const max = Number(values['rate-limit']);
    if (!Number.isInteger(max) || max < 0) throw new OutpostError('invalid_input', '--rate-limit must be a whole number of requests per minute (0 = off).');
    options.rateLimit = max === 0 ? false : { max, windowMs: 60_000 };
  }
  return options;
}

/** `outpost hub ...`: runs until SIGINT or SIGTERM. */
export async function runHub(argv: string[]): Promise<void> {
  let options: HubOptions;
  try {
    options = parseHubArgs(argv);
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 2;
    return;
  }
  const log = createLogger({ file: join(resolve(options.dataDir), 'hub.log') });
  const hub = await startHub({ ...options, log });
  console.log(`outpost hub listening on ${hub.url}`);
  console.log(`database: ${hub.database}; admin token in ${join(resolve(options.dataDir), 'admin-token')}`);
  const stop = async (signal: string) => {
    log.info('hub stopping', { signal });
    await hub.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

// Runnable directly (`node --import tsx server/index.ts hub --data ...`, or the built out/server/hub.js), but
// not when bundled into another entry point such as the CLI.
const thisFile = fileURLToPath(import.meta.url);
const isMain = (() => {
  try {
    return Boolean(process.argv[1]) && realpathSync(process.argv[1]!) === realpathSync(thisFile) && /server[\\/](index\.ts|hub\.js)$/.test(thisFile);
  } catch {
    return false;
  }
})();
if (isMain) {
  runHub(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof OutpostError ? error.message : error);
    process.exit(1);
  });
}
