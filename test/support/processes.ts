import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = new URL('../..', import.meta.url).pathname;

export interface RunningNode {
  url: string;
  dashboardUrl: string;
  token: string;
  dataDir: string;
  process: ChildProcess;
  output: string[];
  /** POSTs one API method over the real HTTP transport; throws on a non-2xx answer. */
  call<T = unknown>(method: string, input?: unknown): Promise<T>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `outpost node` from the TypeScript sources as a real child process and waits for its banner. */
export async function startNodeProcess(options: { dataDir?: string; name?: string; hub?: { url: string; token: string }; env?: Record<string, string> } = {}): Promise<RunningNode> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'outpost-node-'));
  const args = ['--import', 'tsx', join(root, 'cli/outpost.ts'), 'node', '--data', dataDir, '--port', '0'];
  if (options.name) args.push('--name', options.name);
  if (options.hub) args.push('--hub', options.hub.url, '--hub-token', options.hub.token);
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  const lines = createInterface({ input: child.stdout! });
  const banner = await new Promise<{ url: string; dashboardUrl: string }>((resolve, reject) => {
    let url = '';
    // a first start runs PGlite's initdb: on two busy cores that can take well over 30 s
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // a node that never answered must not linger holding its data folder
      reject(new Error(`node did not start in 90 s:\n${output.join('\n')}`));
    }, 90_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code} before listening:\n${output.join('\n')}`));
    });
    lines.on('line', (line) => {
      output.push(line);
      const listening = /^outpost node listening on (\S+)$/.exec(line);
      if (listening) url = listening[1]!;
      const dashboard = /^dashboard: (\S+)$/.exec(line);
      if (dashboard && url) {
        clearTimeout(timer);
        resolve({ url, dashboardUrl: dashboard[1]! });
      }
    });
  });
  const token = new URL(banner.dashboardUrl).searchParams.get('token') ?? '';
  return {
    ...banner,
    token,
    dataDir,
    process: child,
    output,
    async call<T>(method: string, input: unknown = {}): Promise<T> {
      const response = await fetch(`${banner.url}/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(input),
      });
      const body = (await response.json()) as T & { error?: { code: string; message: string } };
      if (!response.ok) {
        const error = new Error(`${method}: ${response.status} ${body.error?.code}: ${body.error?.message}`) as Error & { status: number; code?: string };
        error.status = response.status;
        error.code = body.error?.code;
        throw error;
      }
      return body;
    },
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      });
    },
  };
}
