import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startHub, type RunningHub } from '../../server/index';

export interface TestHub extends RunningHub {
  dataDir: string;
  /** enrolls a node (under its own id when given) and answers its token */
  enroll(name: string, nodeId?: string): Promise<{ nodeId: string; token: string }>;
  /** closes the hub and removes its data folder */
  destroy(): Promise<void>;
}

/** A real hub in process on embedded PGlite, on a free loopback port. */
export async function startTestHub(options: { dataDir?: string; port?: number; rateLimit?: { max: number; windowMs: number } | false; authFailures?: { max: number; windowMs: number } } = {}): Promise<TestHub> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'outpost-hub-'));
  const hub = await startHub({ dataDir, port: options.port ?? 0, rateLimit: options.rateLimit ?? false, heartbeatMs: 5000, ...(options.authFailures ? { authFailures: options.authFailures } : {}) });
  return {
    ...hub,
    dataDir,
    enroll: (name, nodeId) => hub.auth.enrollNode(name, nodeId),
    async destroy() {
      await hub.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * What the fault proxy does to the next matching requests:
 * - status: answers this status itself (with Retry-After for 429/503) without forwarding
 * - drop-response: forwards (the hub applies it), then cuts the connection before answering
 * - truncate: forwards, then sends only half the answer's bytes with the full Content-Length
 * - malformed: forwards, then answers 200 with JSON that fails the protocol
 * - garbage: forwards, then answers 200 with bytes that are not JSON
 * - hang: never answers (the client's timeout fires)
 */
export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'drop-response' }
  | { kind: 'truncate' }
  | { kind: 'malformed' }
  | { kind: 'garbage' }
  | { kind: 'hang' };

export interface FaultProxy {
  url: string;
  /** the next `times` requests whose path starts with `pathPrefix` get `fault` */
  inject(pathPrefix: string, fault: Fault, times?: number): void;
  clear(): void;
  /** injected faults not yet used */
  remaining(): number;
  /** requests seen, by path (without query) */
  seen: string[];
  close(): Promise<void>;
}

/** A loopback proxy in front of a real hub that injects faults on chosen requests. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const targetUrl = new URL(target);
  const rules: Array<{ prefix: string; fault: Fault; left: number }> = [];
  const seen: string[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    seen.push(path);
    const rule = rules.find((r) => path.startsWith(r.prefix) && r.left > 0);
    if (rule) rule.left--;
    const fault = rule?.fault;
    if (fault?.kind === 'status') {
      req.resume();
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.retryAfter) headers['retry-after'] = fault.retryAfter;
      res.writeHead(fault.status, headers);
      res.end(JSON.stringify({ error: { code: 'injected', message: `injected ${fault.status}` } }));
      return;
    }
    if (fault?.kind === 'hang') {
      req.resume();
      return;
    }
    const upstream = http.request(
      { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers: { ...req.headers, host: targetUrl.host } },
      (up) => {
        // an answer cut off upstream (e.g. by a TCP-level fault behind this proxy) must cut this one too
        up.on('error', () => res.destroy());
        up.on('aborted', () => res.destroy());
        if (!fault) {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const body = Buffer.concat(chunks);
          if (fault.kind === 'drop-response') {
            req.socket.destroy();
          } else if (fault.kind === 'truncate') {
            res.writeHead(up.statusCode ?? 200, { ...up.headers, 'content-length': String(body.length), 'transfer-encoding': '' });
            res.write(body.subarray(0, Math.floor(body.length / 2)));
            setTimeout(() => req.socket.destroy(), 20);
          } else if (fault.kind === 'malformed') {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ results: [{ changeId: 'not-a-uuid', status: 'applied', seq: -1 }], changes: 'nope', cursor: -5 }));
          } else if (fault.kind === 'garbage') {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"changes": [ {"seq": 1, ');
          }
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    inject: (prefix, fault, times = 1) => rules.push({ prefix, fault, left: times }),
    clear: () => rules.splice(0),
    remaining: () => rules.reduce((n, r) => n + r.left, 0),
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Polls `check` until it returns a truthy value or the time runs out. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 20_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface HubProcess {
  url: string;
  port: number;
  dataDir: string;
  adminToken: string;
  child: import('node:child_process').ChildProcess;
  enroll(name: string, nodeId?: string): Promise<{ nodeId: string; token: string }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `outpost hub` as a real child process (server/index.ts through tsx), so it can be killed mid-batch. */
export async function startHubProcess(options: { dataDir: string; port: number; databaseUrl?: string }): Promise<HubProcess> {
  const { spawn } = await import('node:child_process');
  const { readFileSync } = await import('node:fs');
  const root = new URL('../..', import.meta.url).pathname;
  const extra = process.env.OUTPOST_HUB_NODE_ARGS?.split(' ').filter(Boolean) ?? []; // diagnostics, e.g. --cpu-prof
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', join(root, 'server/index.ts'), 'hub', '--data', options.dataDir, '--port', String(options.port), '--rate-limit', '0', ...(options.databaseUrl ? ['--database-url', options.databaseUrl] : [])], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start: ${output}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      const m = /outpost hub listening on (\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited (${code}): ${output}`));
    });
  });
  const adminToken = readFileSync(join(options.dataDir, 'admin-token'), 'utf8').trim();
  return {
    url,
    port: Number(new URL(url).port),
    dataDir: options.dataDir,
    adminToken,
    child,
    async enroll(name, nodeId) {
      const res = await fetch(`${url}/v1/nodes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        body: JSON.stringify(nodeId ? { name, nodeId } : { name }),
      });
      if (!res.ok) throw new Error(`enroll failed: ${res.status} ${await res.text()}`);
      return (await res.json()) as { nodeId: string; token: string };
    },
    kill: (signal = 'SIGKILL') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

/** A free loopback port (bound then released). */
export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
