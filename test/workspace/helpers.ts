import { inProcessGitRunner } from '../../worker/git/in-process';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { GIT_DEFAULTS, registerGitHosting, type GitHostingOptions } from '../../server/git/index';

/** A temp folder removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `outpost-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A real Git smart-HTTP server (system git http-backend) on 127.0.0.1:0 that accepts one token. */
export async function startGitHost(
  reposDir: string,
  token: string,
  limits: Partial<Pick<GitHostingOptions, 'maxBodyBytes' | 'failures' | 'rateLimit'> & GitHostingOptions['limits']> = {},
): Promise<{ app: FastifyInstance; base: string; close: () => Promise<void> }> {
  const app = Fastify();
  await app.register(async (scope) =>
    registerGitHosting(scope, {
      reposDir,
      authenticate: async (t) => (t === token ? { nodeId: 'n-test' } : null),
      maxBodyBytes: limits.maxBodyBytes ?? 32 * 1024 * 1024,
      limits: { maxRepos: limits.maxRepos ?? GIT_DEFAULTS.maxRepos, maxPackBytes: limits.maxPackBytes ?? GIT_DEFAULTS.maxPackBytes },
      ...(limits.failures ? { failures: limits.failures } : {}),
      ...(limits.rateLimit ? { rateLimit: limits.rateLimit } : {}),
    }),
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { app, base: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

/** Runs the git CLI asynchronously (never execSync against an in-process server: it deadlocks). */
export function gitCli(args: string[], options: { cwd?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: options.cwd,
      env: {
        ...process.env,
        GIT_TERMINAL_PROMPT: '0',
        GIT_CONFIG_NOSYSTEM: '1',
        HOME: options.cwd ?? tmpdir(),
        GIT_AUTHOR_NAME: 'CLI User',
        GIT_AUTHOR_EMAIL: 'cli@example.com',
        GIT_COMMITTER_NAME: 'CLI User',
        GIT_COMMITTER_EMAIL: 'cli@example.com',
        ...options.env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

export async function gitOk(args: string[], options: Parameters<typeof gitCli>[1] = {}): Promise<string> {
  const res = await gitCli(args, options);
  if (res.code !== 0) throw new Error(`git ${args.join(' ')} failed (${res.code}): ${res.stderr}`);
  return res.stdout;
}

/** http://x:TOKEN@host/... for the git CLI. */
export function withAuth(url: string, token: string): string {
  const u = new URL(url);
  u.username = 'cli';
  u.password = token;
  return u.toString();
}

import { SettingsStore } from '../../main/settings-store';
import { createLogger } from '../../lib/log';
import { EventBus } from '../../main/events';
import { FileSecretStore } from '../../main/secrets';
import { Workspace, type WorkerChannel } from '../../main/workspace/index';
import { channelHandler } from '../../worker/channels';
import '../../worker/git/channel';

/**
 * Main's end of the worker's 'git' channel, wired to the handler the worker registers (structured cloning between):
 * `ws.setGitRunner(channelGitRunner(workerChannel()))` runs a Workspace's Git work through the worker's checks.
 */
export function workerChannel(): WorkerChannel {
  const listeners = new Set<(payload: unknown) => void>();
  return {
    post(payload) {
      const handler = channelHandler('git');
      if (!handler) throw new Error('worker/git/channel registers the git channel');
      setImmediate(() => void handler(structuredClone(payload), (reply) => setImmediate(() => listeners.forEach((l) => l(structuredClone(reply))))));
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** A real Workspace on a data folder, optionally pointed at a Git host with a hub token. */
export async function openWorkspace(
  dataDir: string,
  options: { name?: string; hubUrl?: string; token?: string; watch?: boolean } = {},
): Promise<{ ws: Workspace; events: EventBus; settings: SettingsStore; seen: { event: string; payload: unknown }[] }> {
  mkdirSync(dataDir, { recursive: true });
  const settings = new SettingsStore(dataDir);
  if (options.hubUrl) settings.set({ sync: { hubUrl: options.hubUrl } });
  const secrets = new FileSecretStore(dataDir);
  if (options.token) await secrets.set('hub.token', options.token);
  const events = new EventBus();
  const seen: { event: string; payload: unknown }[] = [];
  events.subscribe((event, payload) => seen.push({ event, payload }));
  const name = options.name ?? 'node';
  const ws = await Workspace.open({
    git: inProcessGitRunner,
    dataDir,
    identity: { nodeId: `n-${name}`, nodeName: name, dataDir, startedAt: new Date().toISOString(), version: 'test' },
    settings,
    log: createLogger({ quiet: true }),
    events,
    secrets,
    watch: options.watch ?? false,
    autoCommit: false,
  });
  return { ws, events, settings, seen };
}
