import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNodeProcess, type RunningNode } from '../support/processes';
import { enrollNode, spawnHub } from '../../server/test-support/hub-client';
import { freePort } from '../sync/support';
import { startChaosProxy, type ChaosProxy } from './chaos-proxy';
import type { SettingsPatch } from '../../shared/domain/settings';

/** A reproducible random source (mulberry32) so a failing run can be replayed from its printed seed. */
export function seededRandom(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ClusterHub {
  url: string;
  port: number;
  adminToken: string;
  dataDir: string;
  pid(): number | undefined;
  running(): boolean;
  /** SIGKILL: no chance to finish anything */
  kill(): Promise<void>;
  /** starts it again on the same port and data (and database) */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** `outpost hub` as a child process on a fixed port, so nodes (through their proxies) find it after a restart. */
export async function startClusterHub(options: { dataDir?: string; databaseUrl?: string } = {}): Promise<ClusterHub> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'outpost-rel-hub-'));
  const port = await freePort();
  const args = ['--data', dataDir, '--port', String(port), '--rate-limit', '0', ...(options.databaseUrl ? ['--database-url', options.databaseUrl] : [])];
  let current = await spawnHub(args);
  const adminToken = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  const running = () => current.process.exitCode === null && current.process.signalCode === null;
  const kill = async () => {
    if (!running()) return;
    const exited = new Promise((r) => current.process.once('exit', r));
    current.process.kill('SIGKILL');
    await exited;
  };
  return {
    url: current.url,
    port,
    adminToken,
    dataDir,
    pid: () => current.process.pid,
    running,
    kill,
    async restart() {
      await kill();
      // the port may linger for a moment after a kill: retry the start
      for (let attempt = 0; ; attempt++) {
        try {
          current = await spawnHub(args);
          return;
        } catch (error) {
          if (attempt >= 5) throw error;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    },
    stop: () => current.stop(),
  };
}

export interface ClusterNode {
  name: string;
  nodeId: string;
  token: string;
  dataDir: string;
  /** the node's own link to the hub: partitions and link faults hit this node only */
  proxy: ChaosProxy;
  /** null while the node is down */
  process: RunningNode | null;
  call<T = unknown>(method: string, input?: unknown): Promise<T>;
  /** SIGKILL the node process (its worker dies with it) */
  kill(): Promise<void>;
  /** SIGTERM: the node lets an in-flight batch finish, then exits */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGKILL the node's sync worker (the node restarts it); false when no worker was found */
  killWorker(): boolean;
  rssBytes(): number;
  /** how far ahead this node's clock runs from its next start (test-only OUTPOST_TEST_CLOCK_OFFSET_MS); 0: the real clock */
  clockOffsetMs: number;
}

export interface Cluster {
  hub: ClusterHub;
  nodes: ClusterNode[];
  observerToken: string;
  close(): Promise<void>;
}

/** Children of a process, from /proc (Linux; no procps needed). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // the command may hold spaces and parentheses: the fields after the last ')' are fixed
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

export function rssOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** A hub and `names.length` node processes, each behind its own chaos proxy. */
export async function startCluster(options: {
  names: string[];
  random: () => number;
  settings?: SettingsPatch;
  databaseUrl?: string;
  /** per node name: how far ahead its clock runs from the first start (see ClusterNode.clockOffsetMs) */
  clockOffsets?: Record<string, number>;
}): Promise<Cluster> {
  const hub = await startClusterHub({ databaseUrl: options.databaseUrl });
  const observer = await enrollNode(hub.url, hub.adminToken, 'observer', 'observer');
  const nodes: ClusterNode[] = [];
  const cluster: Cluster = {
    hub,
    nodes,
    observerToken: observer.token,
    async close() {
      for (const n of nodes) {
        await n.kill();
        await n.proxy.close();
        rmSync(n.dataDir, { recursive: true, force: true });
      }
      await hub.kill();
      rmSync(hub.dataDir, { recursive: true, force: true });
    },
  };
  try {
    for (const name of options.names) {
      const enrolled = await enrollNode(hub.url, hub.adminToken, name, name);
      const proxy = await startChaosProxy(hub.port, options.random);
      const dataDir = mkdtempSync(join(tmpdir(), `outpost-rel-${name}-`));
      const node: ClusterNode = {
        name,
        nodeId: enrolled.nodeId,
        token: enrolled.token,
        dataDir,
        proxy,
        process: null,
        clockOffsetMs: options.clockOffsets?.[name] ?? 0,
        async call<T>(method: string, input: unknown = {}): Promise<T> {
          if (!node.process) throw Object.assign(new Error(`${name} is down`), { code: 'down' });
          return node.process.call<T>(method, input);
        },
        async kill() {
          const p = node.process;
          node.process = null;
          if (p) await p.stop('SIGKILL');
        },
        async stop() {
          const p = node.process;
          node.process = null;
          if (p) await p.stop('SIGTERM');
        },
        async start() {
          if (node.process) return;
          const env: Record<string, string> = node.clockOffsetMs !== 0 ? { OUTPOST_TEST_CLOCK_OFFSET_MS: String(node.clockOffsetMs) } : {};
          node.process = await startNodeProcess({ name, dataDir, hub: { url: proxy.url, token: enrolled.token }, env });
          if (options.settings) await node.process.call('settings.set', options.settings);
        },
        killWorker() {
          const pid = node.process?.process.pid;
          if (!pid) return false;
          const workers = childPids(pid);
          if (workers.length === 0) return false;
          for (const w of workers) process.kill(w, 'SIGKILL');
          return true;
        },
        rssBytes() {
          const pid = node.process?.process.pid;
          return rssOf(pid) + (pid ? childPids(pid).reduce((n, c) => n + rssOf(c), 0) : 0);
        },
      };
      nodes.push(node);
    }
    // start the nodes one at a time: each first start runs PGlite's initdb, which is heavy on two cores
    for (const node of nodes) await node.start();
    return cluster;
  } catch (error) {
    await cluster.close();
    throw error;
  }
}
