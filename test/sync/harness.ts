import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus } from '../../main/events';
import { createLogger } from '../../lib/log';
import { FileSecretStore } from '../../main/secrets';
import type { NodeContext } from '../../main/services';
import { SettingsStore } from '../../main/settings-store';
import { ConflictService } from '../../main/conflicts/service';
import { recordsChangedEvent } from '../../main/store/change-event';
import { EdgeStore } from '../../main/store/index';
import { SyncHost, type SyncHostOptions } from '../../main/sync-host/sync-host';
import type { EventName } from '../../shared/api/index';
import type { SettingsPatch } from '../../shared/domain/settings';
import { HybridClock } from '../../shared/sync/hlc';
import { startTestHub, waitFor, type TestHub } from './support';

export interface TestNode {
  nodeId: string;
  dataDir: string;
  ctx: NodeContext;
  store: EdgeStore;
  host: SyncHost;
  events: Array<{ event: EventName; payload: unknown }>;
  /** stops sync and closes the store (the data folder stays, for a restart) */
  stop(): Promise<void>;
  /** stop, then remove the data folder */
  destroy(): Promise<void>;
}

/**
 * One edge node composed in process the way main/node.ts does it (settings, events, secrets, the edge store,
 * the sync host with a real forked worker). Used until the multi-node tests move to `outpost node` processes.
 */
export async function startTestNode(options: {
  nodeId: string;
  hub?: { url: string; token: string };
  dataDir?: string;
  settings?: SettingsPatch;
  host?: Partial<Omit<SyncHostOptions, 'ctx' | 'store'>>;
  /** this node's wall clock (a node whose clock is set wrong) */
  now?: () => number;
}): Promise<TestNode> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), `outpost-${options.nodeId}-`));
  const settings = new SettingsStore(dataDir);
  settings.set({ sync: { mode: 'manual', ...(options.hub ? { hubUrl: options.hub.url } : {}) } });
  if (options.settings) settings.set(options.settings);
  const secrets = new FileSecretStore(dataDir);
  if (options.hub) await secrets.set('hub.token', options.hub.token);
  const events = new EventBus();
  const seen: TestNode['events'] = [];
  events.subscribe((event, payload) => seen.push({ event, payload }));
  const log = createLogger({ quiet: true, file: join(dataDir, 'node.log'), level: 'debug' });
  const ctx: NodeContext = {
    identity: { nodeId: options.nodeId, nodeName: options.nodeId, dataDir, startedAt: new Date().toISOString(), version: 'test' },
    settings,
    events,
    secrets,
    log,
  };
  const composed: { conflicts?: ConflictService } = {};
  const store = new EdgeStore({
    path: join(dataDir, 'edge.db'),
    nodeId: options.nodeId,
    clock: new HybridClock(options.nodeId, options.now),
    settings: () => settings.get(),
    onChange: (tables, ids, origin) => {
      const changed = recordsChangedEvent(tables, ids, origin);
      if (changed) events.emit('agents.changed', changed);
      // the conflict service owns the conflicts.changed count, as in main/node.ts
      if (tables.includes('conflict_resolution')) void composed.conflicts?.refreshPending();
    },
    log,
  });
  composed.conflicts = new ConflictService({ records: store, events, log, personName: () => 'test' });
  const host = new SyncHost({ ctx, store, restartBaseMs: 100, shutdownDeadlineMs: 3000, requestTimeoutMs: 5000, ...options.host });
  await host.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await host.stop();
    store.close();
  };
  return {
    nodeId: options.nodeId,
    dataDir,
    ctx,
    store,
    host,
    events: seen,
    stop,
    async destroy() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface HubPair {
  hub: TestHub;
  a: TestNode;
  b: TestNode;
  /** destroys both nodes, then the hub */
  destroy(): Promise<void>;
}

/**
 * A hub and two nodes enrolled on it (ids node-a and node-b unless named), both idle: the setup of every
 * two-node sync test. `options` per node are passed to startTestNode.
 */
export async function startHubPair(
  options: { a?: Partial<Parameters<typeof startTestNode>[0]>; b?: Partial<Parameters<typeof startTestNode>[0]> } = {},
): Promise<HubPair> {
  const hub = await startTestHub();
  const start = async (name: string, extra: Partial<Parameters<typeof startTestNode>[0]> = {}) => {
    const nodeId = extra.nodeId ?? `node-${name}`;
    const { token } = await hub.enroll(name, nodeId);
    return startTestNode({ ...extra, nodeId, hub: { url: hub.url, token } });
  };
  const a = await start('a', options.a);
  const b = await start('b', options.b);
  await waitFor(() => a.host.status().state === 'idle' && b.host.status().state === 'idle', 20_000, 'both nodes idle');
  return {
    hub,
    a,
    b,
    async destroy() {
      await a.destroy();
      await b.destroy();
      await hub.destroy();
    },
  };
}
