import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Handlers } from '../shared/api/index';
import { HybridClock } from '../shared/sync/hlc';
import { DataDirLock } from '../lib/data-dir-lock';
import { EventBus } from './events';
import { loadNodeId } from './identity';
import { createLogger, type Logger } from '../lib/log';
import { FileSecretStore, type SecretStore } from './secrets';
import type { NodeContext } from './services';
import { SettingsStore } from './settings-store';
import { appVersion } from './version';
import { recordsChangedEvent } from './store/change-event';
import { EdgeStore } from './store/edge-store';
import { Workspace } from './workspace/workspace';
import { channelGitRunner } from './workspace/index';
import { GIT_CHANNEL } from '../shared/protocol/git';
import { SyncHost } from './sync-host/sync-host';
import type { WorkerSpawner } from './sync-host/spawner';
import { ConflictService } from './conflicts/service';
import { AutoResolver } from './conflicts/auto-resolver';
import { appHandlers } from './api/app';
import { recordHandlers } from './api/records';
import { syncHandlers } from './api/sync';
import { conflictHandlers } from './api/conflicts';
import { workspaceHandlers } from './api/workspace';
import { workspaceTextConflicts } from './adapters/text-conflicts';
import { fileHandlers } from './api/files';
import { FileService } from './files/service';

export interface NodeOptions {
  dataDir: string;
  transport: 'ipc' | 'http';
  name?: string;
  /** point the node at a hub (the CLI's --hub/--hub-token); the token goes to the secret store */
  hub?: { url: string; token: string };
  log?: Logger;
  /** the desktop app passes its keychain-backed store; the headless node keeps a 0600 file */
  secrets?: SecretStore;
  /** the desktop app starts the worker with utilityProcess.fork; plain Node forks a child process */
  spawner?: WorkerSpawner;
  /** background timers (maintenance, workspace watching and auto-commit); tests may turn them off */
  background?: boolean;
}

export interface OutpostNode {
  ctx: NodeContext;
  handlers: Handlers;
  store: EdgeStore;
  workspace: Workspace;
  sync: SyncHost;
  conflicts: ConflictService;
  files: FileService;
  /** lets an in-flight sync batch finish (or hands its leases back), then closes the databases */
  close(): Promise<void>;
}

const MAINTENANCE_INTERVAL_MS = 6 * 3600 * 1000;
/** unreferenced files and the download cache are looked at this often */
const FILE_COLLECT_INTERVAL_MS = 15 * 60 * 1000;

/**
 * Composes one edge node: the databases, the sync host and the API handlers. The Electron shell and the
 * headless node both run exactly this; they differ only in transport, secret store and worker spawner.
 */
export async function createNode(options: NodeOptions): Promise<OutpostNode> {
  mkdirSync(options.dataDir, { recursive: true });
  const lock = DataDirLock.acquire(options.dataDir);
  const cleanups: Array<() => Promise<void> | void> = [() => lock.release()];
  const closeAll = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // keep closing the rest: a failed close must not leave the lock behind
      }
    }
  };
  try {
    const log = options.log ?? createLogger({ file: join(options.dataDir, 'logs', 'node.log') });
    const settings = new SettingsStore(options.dataDir);
    for (const warning of settings.warnings) log.warn(warning);
    if (options.name && settings.get().node.name !== options.name) settings.set({ node: { name: options.name } });

    const nodeId = loadNodeId(options.dataDir, options.hub?.token ?? null);
    const secrets = options.secrets ?? new FileSecretStore(options.dataDir);
    if (options.hub) {
      await secrets.set('hub.token', options.hub.token);
      if (settings.get().sync.hubUrl !== options.hub.url) settings.set({ sync: { hubUrl: options.hub.url } });
    }
    const events = new EventBus();
    const ctx: NodeContext = {
      identity: { nodeId, nodeName: settings.get().node.name, dataDir: options.dataDir, startedAt: new Date().toISOString(), version: appVersion },
      settings,
      events,
      secrets,
      log,
    };

    const syncRef: { host?: SyncHost; conflicts?: ConflictService } = {}; // the store is built before the services that report on it
    const store = new EdgeStore({
      path: join(options.dataDir, 'edge.db'),
      nodeId,
      clock: new HybridClock(nodeId, testClockFromEnv()),
      settings: () => settings.get(),
      log,
      onChange: (tables, ids, origin) => {
        // the sync host listens for this event to schedule a push of local writes (auto and realtime modes)
        const changed = recordsChangedEvent(tables, ids, origin);
        if (changed) events.emit('agents.changed', changed);
        if (tables.includes('sync_queue') || tables.includes('conflict_resolution')) syncRef.host?.scheduleStats();
        // a conflict recorded, resolved or superseded by a newer remote state changes the pending count
        if (tables.includes('conflict_resolution')) void syncRef.conflicts?.refreshPending();
      },
    });
    cleanups.push(() => store.close());

    // the sync worker first: the workspace's Git work (hashing, zlib, network) runs there from its first request,
    // off main's event loop; the conflict service the resolver reports to is composed once the workspace is open
    const syncHost = new SyncHost({ ctx, store, ...(options.spawner ? { spawner: options.spawner } : {}) });
    syncRef.host = syncHost;
    const autoResolver = new AutoResolver({ store, settings: () => settings.get(), log, afterBatch: () => syncRef.conflicts?.refreshPending() });
    syncHost.onConflictsRecorded((ids) => void autoResolver.onConflictsRecorded(ids));
    await syncHost.start();
    cleanups.push(() => syncHost.stop());

    const workspace = await Workspace.open({
      git: channelGitRunner(syncHost.channel(GIT_CHANNEL)),
      dataDir: options.dataDir,
      identity: ctx.identity,
      settings,
      log,
      events,
      secrets,
      watch: options.background !== false,
      autoCommit: options.background !== false,
    });
    cleanups.push(() => workspace.close());

    const conflicts = new ConflictService({
      records: store,
      texts: workspaceTextConflicts(workspace),
      events,
      log,
      personName: () => settings.get().node.name,
    });
    syncRef.conflicts = conflicts;
    workspace.onConflictsChanged(() => void conflicts.refreshPending());
    conflicts.setLabels({ self: () => `${settings.get().node.name} (${nodeId})`, node: (id) => syncHost.nodes.label(id) });
    syncHost.attachWorkspace(() => workspace.unsynced());
    cleanups.push(workspace.onUnsyncedChanged(() => syncHost.workspaceChanged()));

    const files = new FileService({ store, dataDir: options.dataDir, settings: () => settings.get(), log });
    if (options.background !== false) {
      const stopMaintenance = store.startMaintenance(MAINTENANCE_INTERVAL_MS);
      cleanups.push(stopMaintenance);
      const collector = setInterval(() => {
        try {
          files.collect();
        } catch (error) {
          log.warn('file collection failed', { error });
        }
      }, FILE_COLLECT_INTERVAL_MS);
      collector.unref();
      cleanups.push(() => clearInterval(collector));
    }

    const handlers: Handlers = {
      ...appHandlers(ctx, options.transport),
      ...recordHandlers({ store }),
      ...syncHandlers(syncHost),
      ...conflictHandlers(conflicts),
      ...workspaceHandlers(workspace),
      ...fileHandlers({ files }),
    };

    let closed: Promise<void> | undefined;
    return {
      ctx,
      handlers,
      store,
      workspace,
      sync: syncHost,
      conflicts,
      files,
      close: () => (closed ??= closeAll()),
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * Tests only (the soak's skewed node): OUTPOST_TEST_CLOCK_OFFSET_MS runs this node's hybrid logical clock that
 * many milliseconds off the wall clock. Unset (always, outside tests): the real clock.
 */
function testClockFromEnv(): (() => number) | undefined {
  const raw = process.env.OUTPOST_TEST_CLOCK_OFFSET_MS;
  if (!raw) return undefined;
  const offset = Number(raw);
  if (!Number.isSafeInteger(offset)) throw new Error(`OUTPOST_TEST_CLOCK_OFFSET_MS must be an integer (ms), got ${raw}`);
  return () => Date.now() + offset;
}
