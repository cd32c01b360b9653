import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { encodeHlc } from '../../shared/sync/hlc';
import type { WireChange } from '../../shared/sync/wire';
import type { VersionVector } from '../../shared/domain/records';

/** Small helpers for talking to a hub in tests: plain fetch, no client library in between. */
export interface HubResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export async function hubRequest<T = unknown>(
  baseUrl: string,
  path: string,
  options: { method?: string; token?: string; json?: unknown; body?: Uint8Array | string; headers?: Record<string, string> } = {},
): Promise<HubResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: Uint8Array | string | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(baseUrl + path, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

export async function enrollNode(baseUrl: string, adminToken: string, name: string, nodeId?: string): Promise<{ nodeId: string; token: string }> {
  const r = await hubRequest<{ nodeId: string; token: string }>(baseUrl, '/v1/nodes', { token: adminToken, json: nodeId ? { name, nodeId } : { name } });
  if (r.status !== 201) throw new Error(`enrollment failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

let clock = 1_700_000_000_000;

/** A valid wire change authored by `nodeId`; a full upsert unless overridden. */
export function makeChange(nodeId: string, recordId: string, vv: VersionVector, overrides: Partial<WireChange> = {}): WireChange {
  return {
    changeId: randomUUID(),
    table: 'agents',
    recordId,
    hlc: encodeHlc({ wallMs: clock++, counter: 0, nodeId }),
    vv,
    nodeId,
    op: 'upsert',
    priority: 5,
    baseVv: null,
    data: { name: `agent ${recordId}`, status: 'active' },
    ...overrides,
  };
}

/** Starts `server/index.ts hub ...` as a child process and waits for its "listening" line. */
export async function spawnHub(args: string[]): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }> {
  const root = new URL('../..', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'server/index.ts'), 'hub', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`hub did not start in 60 s: ${stderr}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /outpost hub listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code}: ${stderr}`));
    });
  });
  return {
    url,
    process: child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Reads a Server-Sent Events stream and collects `changes` events until stopped. */
export async function openEventStream(baseUrl: string, token: string): Promise<{ seqs: number[]; waitFor(pred: (seqs: number[]) => boolean, ms?: number): Promise<void>; ended: Promise<void>; close(): void }> {
  const controller = new AbortController();
  const response = await fetch(baseUrl + '/v1/events', { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  if (response.status !== 200 || !response.body) throw new Error(`event stream refused: ${response.status}`);
  const seqs: number[] = [];
  const listeners = new Set<() => void>();
  const ended = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (/^event: changes$/m.test(block)) {
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (data) seqs.push((JSON.parse(data) as { seq: number }).seq);
            for (const l of listeners) l();
          }
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    seqs,
    ended,
    waitFor: (pred, ms = 10_000) =>
      new Promise<void>((resolve, reject) => {
        if (pred(seqs)) return resolve();
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`event not received in ${ms} ms; got ${JSON.stringify(seqs)}`));
        }, ms);
        const check = () => {
          if (pred(seqs)) {
            clearTimeout(timer);
            listeners.delete(check);
            resolve();
          }
        };
        listeners.add(check);
      }),
    close: () => controller.abort(),
  };
}
