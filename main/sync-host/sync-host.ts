import type { HubConnection, SyncCycleResult } from '../../shared/api/sync';
import type { EventPayload } from '../../shared/api/index';
import type { SyncStatus } from '../../shared/domain/sync-status';
import type { QueueStats } from '../../shared/domain/queue';
import { defaultSettings, type Settings } from '../../shared/domain/settings';
import { OutpostError } from '../../shared/errors';
import { parseMessage, statusAfterLinkChange, workerToMainSchema, type MainToWorker, type WorkerConfig, type WorkerStatus } from '../../shared/protocol/worker';
import { ListenerSet } from '../../lib/listener-set';
import type { NodeContext } from '../services';
import { endWorker, forkSpawner, type WorkerHandle, type WorkerSpawner } from './spawner';
import { ReadyGate } from './ready-gate';
import { StoreBridge } from './store-bridge';
import { checkHub, connectionMessage, refuseOtherNodesToken } from './hub-check';
import { workerConfigOf } from './worker-config';
import { NodeDirectory } from './node-directory';
import type { SyncStorePort } from './store-port';
import { RestartPolicy } from './restart-policy';
import { syncStatusOf } from './status-of';
import { SyncUsageFile, type SyncUsage } from './usage-file';
import { WorkerChannels, type WorkerChannel } from './worker-channels';
import { WorkerRpc } from './worker-rpc';

export interface SyncHostOptions {
  ctx: NodeContext;
  store: SyncStorePort;
  /** how the worker process is started (Electron: utilityProcess.fork); default: child_process.fork */
  spawner?: WorkerSpawner;
  /** on quit, how long an in-flight batch may take before its leases are released */
  shutdownDeadlineMs?: number;
  /** per hub request */
  requestTimeoutMs?: number;
  /** first restart delay after the worker dies (doubles, with jitter, up to 30 s) */
  restartBaseMs?: number;
}

/** queue counts are a few COUNT queries over large tables: read at most this often for events and status */
const STATS_THROTTLE_MS = 1000;
const WORKER_READY_WAIT_MS = 15_000;

/**
 * Runs the sync worker from main: starts it (and restarts it with backoff when it dies, after releasing its
 * leases), answers its store calls through the StoreBridge, keeps the one sync status and emits the events.
 */
export class SyncHost {
  private readonly ctx: NodeContext;
  private readonly store: SyncStorePort;
  private readonly spawner: WorkerSpawner;
  private readonly bridge: StoreBridge;
  private worker: WorkerHandle | null = null;
  private workerReady = false;
  private workerStartedAt = 0;
  private workerStatus: WorkerStatus | null = null;
  private token: string | null = null;
  /** the enrollment names of the hub's nodes (conflicts name their sides by them) */
  readonly nodes = new NodeDirectory(() => {
    const url = this.ctx.settings.get().sync.hubUrl;
    return url && this.token ? { url, token: this.token } : null;
  });
  private readonly restarts: RestartPolicy;
  private restartTimer: NodeJS.Timeout | null = null;
  private statsTimer: NodeJS.Timeout | null = null;
  /** calls to and from the running worker: a new peer for each worker, closed when it exits */
  private rpc: WorkerRpc;
  private readonly ready = new ReadyGate();
  private statsCache: { value: QueueStats; at: number } | null = null;
  private readonly conflictListeners: ListenerSet<number[]>;
  private readonly channels: WorkerChannels;
  private readonly unsubscribers: Array<() => void> = [];
  private stopping = false;
  private lastStateKey = '';
  private usage: SyncUsage;
  private readonly usageFile: SyncUsageFile;

  constructor(private readonly options: SyncHostOptions) {
    this.ctx = options.ctx;
    this.store = options.store;
    this.spawner = options.spawner ?? forkSpawner;
    this.usageFile = new SyncUsageFile(this.ctx.identity.dataDir, this.ctx.log);
    this.usage = this.usageFile.load();
    this.restarts = new RestartPolicy(options.restartBaseMs ?? 500);
    this.conflictListeners = new ListenerSet(this.ctx.log, 'conflict');
    this.channels = new WorkerChannels((m) => this.post(m), () => this.workerReady, this.ctx.log);
    this.bridge = new StoreBridge(this.store, {
      onQueueChanged: () => this.scheduleStats(),
      onConflicts: (ids) => this.conflictsRecorded(ids),
    });
    this.rpc = this.workerRpc(null);
  }

  /** Releases leases a previous run left behind (a SIGKILLed node), then starts the worker. */
  async start(): Promise<void> {
    this.token = await this.ctx.secrets.get('hub.token');
    this.store.releaseLeases();
    this.unsubscribers.push(
      this.ctx.settings.onChange((next, prev) => {
        if (JSON.stringify(next.sync) !== JSON.stringify(prev.sync)) this.configureWorker();
      }),
      this.ctx.events.subscribe((event, payload) => {
        // a local write: auto and realtime modes react (the hub's states applied by sync are not)
        if (event === 'agents.changed' && (payload as EventPayload<'agents.changed'>).origin === 'local') this.notifyLocalWrite();
      }),
    );
    this.spawn();
  }

  /** Tells the worker a local write happened (also wired to agents.changed events). */
  notifyLocalWrite(): void {
    if (this.workerReady) this.post({ type: 'local-write' });
  }

  /** The desktop shell calls this on Electron's online/offline events: the worker probes the hub at once. */
  notifyNetworkChanged(): void {
    if (this.workerReady) this.post({ type: 'network-changed' });
  }

  /** The conflicts engineer's hook: called with the ids of conflict rows recorded by a push or a pull. */
  onConflictsRecorded(listener: (ids: number[]) => void): () => void {
    return this.conflictListeners.add(listener);
  }

  /** A named message channel to a worker module (the Git engine). */
  channel(name: string): Required<WorkerChannel> {
    return this.channels.channel(name);
  }

  /** the worker's process id (for diagnostics and fault tests) */
  get workerPid(): number | undefined {
    return this.worker?.pid;
  }

  /** The one sync status; `fresh: false` may reuse queue counts up to a second old (event fan-out). */
  status(fresh = true): SyncStatus {
    const settings = this.ctx.settings.get();
    return syncStatusOf({
      settings,
      stats: this.stats(fresh ? 0 : STATS_THROTTLE_MS),
      worker: this.workerStatus,
      workerReady: this.workerReady,
      hubConfigured: this.hubConfigured(settings),
      crashError: this.restarts.error,
      workspaceUnsynced: this.workspaceUnsynced(),
    });
  }

  /**
   * Where the status gets the workspace's count of changes not on the hub (main/node.ts attaches the workspace);
   * a host without a workspace has none. Call `workspaceChanged` when the count may have moved.
   */
  attachWorkspace(unsynced: () => number | null): void {
    this.workspaceUnsynced = unsynced;
    this.publishStatus(true);
  }

  workspaceChanged(): void {
    this.publishStatus(true);
  }

  private workspaceUnsynced: () => number | null = () => 0;

  /** One full push+pull cycle; answers its counts. */
  syncNow(): Promise<SyncCycleResult> {
    const settings = this.ctx.settings.get();
    if (!this.hubConfigured(settings)) {
      return Promise.reject(new OutpostError('invalid_input', 'This node is not connected to a hub: set the hub URL and token first.'));
    }
    if (settings.sync.paused) return Promise.reject(new OutpostError('locked', 'Sync is paused: resume it to sync now.'));
    if (this.stopping) return Promise.reject(new OutpostError('unavailable', 'Sync stopped: the node is shutting down.'));
    const notRunning = () => new OutpostError('unavailable', 'The sync worker is not running (it is restarting): try again in a moment.');
    return this.ready
      .wait(this.workerReady, WORKER_READY_WAIT_MS, notRunning)
      .then(() => this.rpc.syncNow().finally(() => this.scheduleStats()));
  }

  /** The store's queue counts, reused for up to `maxAgeMs` (0: fresh). */
  private stats(maxAgeMs: number): QueueStats {
    const now = Date.now();
    if (!this.statsCache || now - this.statsCache.at > maxAgeMs) this.statsCache = { value: this.store.stats(), at: now };
    return this.statsCache.value;
  }

  pause(): SyncStatus {
    this.ctx.settings.set({ sync: { paused: true } });
    return this.status();
  }

  resume(): SyncStatus {
    this.ctx.settings.set({ sync: { paused: false } });
    return this.status();
  }

  /** Saves a hub connection once the hub confirmed the token (or unchecked, when asked to save it offline). */
  async connect(hubUrl: string, token: string, options: { saveOffline?: boolean } = {}): Promise<HubConnection> {
    refuseOtherNodesToken(token, this.ctx.identity.nodeId);
    const hub = options.saveOffline ? null : await checkHub(hubUrl, token, this.ctx.identity.nodeId, this.options.requestTimeoutMs);
    await this.ctx.secrets.set('hub.token', token);
    const hubChanged = this.ctx.settings.get().sync.hubUrl !== hubUrl;
    if (this.workerStatus && (hubChanged || this.token !== token)) this.workerStatus = statusAfterLinkChange(this.workerStatus, hubChanged);
    this.token = token;
    if (!hubChanged) this.configureWorker();
    else this.ctx.settings.set({ sync: { hubUrl } }); // the settings listener reconfigures the worker
    if (hub) {
      this.nodes.learn(hub.nodeId, hub.name);
      // the enrollment name replaces the default every node starts with, so the other side sees who this is
      if (hub.name && this.ctx.settings.get().node.name === defaultSettings().node.name) this.ctx.settings.set({ node: { name: hub.name } });
    }
    const message = connectionMessage(hub);
    this.ctx.log.info(hub ? 'hub connection saved (checked)' : 'hub connection saved unchecked (offline set-up)', { hubUrl });
    return { verified: hub !== null, message, status: this.status() };
  }

  async disconnect(): Promise<SyncStatus> {
    await this.ctx.secrets.set('hub.token', null);
    this.token = null;
    if (this.ctx.settings.get().sync.hubUrl === null) this.configureWorker();
    else this.ctx.settings.set({ sync: { hubUrl: null } });
    return this.status();
  }

  /** Quit: the worker finishes its batch within the deadline or releases the leases; then it is ended. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const off of this.unsubscribers.splice(0)) off();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.statsTimer) clearTimeout(this.statsTimer);
    const worker = this.worker;
    if (worker) {
      const deadline = this.options.shutdownDeadlineMs ?? 5000;
      await endWorker(worker, deadline + 2000, () => this.post({ type: 'shutdown', deadlineMs: deadline }));
    }
    this.worker = null;
    this.workerReady = false;
    const stopped = new OutpostError('unavailable', 'Sync stopped: the node is shutting down.');
    this.rpc.close(stopped);
    this.ready.fail(stopped);
    try {
      this.store.releaseLeases();
    } catch (error) {
      this.ctx.log.warn('could not release sync leases at shutdown', { error });
    }
    this.usageFile.save(this.usage, true);
  }

  private hubConfigured(settings: Settings): boolean {
    return Boolean(settings.sync.hubUrl && this.token);
  }

  private workerConfig(): WorkerConfig {
    const facts = { token: this.token, nodeId: this.ctx.identity.nodeId, requestTimeoutMs: this.options.requestTimeoutMs ?? 30_000, usage: this.usage };
    return workerConfigOf(this.ctx.settings.get().sync, facts);
  }

  private configureWorker(): void {
    if (this.workerReady) this.post({ type: 'configure', config: this.workerConfig() });
    this.publishStatus(true);
  }

  private spawn(): void {
    if (this.stopping) return;
    let worker: WorkerHandle;
    try {
      worker = this.spawner();
    } catch (error) {
      this.ctx.log.error('could not start the sync worker', { error });
      this.onWorkerExit(null, null);
      return;
    }
    this.worker = worker;
    this.rpc = this.workerRpc(worker);
    this.workerStartedAt = Date.now();
    worker.on('message', (message) => {
      if (this.worker === worker) this.onMessage(message);
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.onWorkerExit(worker, code);
    });
  }

  private onWorkerExit(worker: WorkerHandle | null, code: number | null): void {
    const wasReady = this.workerReady;
    this.worker = null;
    this.workerReady = false;
    this.workerStatus = this.workerStatus ? { ...this.workerStatus, cycleRunning: false } : null;
    try {
      const released = this.store.releaseLeases();
      if (released) this.ctx.log.warn('sync worker stopped mid-batch: leased changes are pending again', { released });
    } catch (error) {
      this.ctx.log.error('could not release the leases of a stopped sync worker', { error });
    }
    this.rpc.close(new OutpostError('unavailable', 'The sync worker stopped during the sync: it is restarting; nothing was lost.'));
    if (wasReady) this.channels.workerExited();
    if (this.stopping) return;
    const delay = this.restarts.exited(Date.now(), worker ? this.workerStartedAt : null);
    this.ctx.log.warn('sync worker exited; restarting', { code, restartInMs: delay });
    this.publishStatus(true);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.spawn();
    }, delay);
    this.restartTimer.unref?.();
  }

  private onMessage(raw: unknown): void {
    const parsed = parseMessage(workerToMainSchema, raw);
    if (!parsed.ok) {
      this.ctx.log.error('refused a malformed message from the sync worker', { error: parsed.error });
      return;
    }
    const message = parsed.value;
    switch (message.type) {
      case 'ready':
        this.workerReady = true;
        this.post({ type: 'configure', config: this.workerConfig() });
        this.ready.open();
        this.channels.flush();
        this.publishStatus(true);
        return;
      case 'rpc':
        this.rpc.receive(message.message);
        return;
      case 'status':
        this.workerStatus = message.status;
        this.usage = message.status.usage;
        if (this.workerReady) this.restarts.running(Date.now(), this.workerStartedAt);
        this.usageFile.save(this.usage, false);
        this.publishStatus(false);
        return;
      case 'log':
        this.ctx.log[message.level](`sync worker: ${message.msg}`, message.fields);
        return;
      case 'shutdown-complete':
        return;
      case 'channel':
        this.channels.deliver(message.channel, message.payload);
        return;
    }
  }

  private post(message: MainToWorker, worker = this.worker): void {
    try {
      worker?.postMessage(message);
    } catch (error) {
      this.ctx.log.warn('could not post to the sync worker', { error });
    }
  }

  /** The RPC with one worker: its store calls go to the StoreBridge. */
  private workerRpc(worker: WorkerHandle | null): WorkerRpc {
    return new WorkerRpc((message) => this.post({ type: 'rpc', message }, worker), (call) => this.bridge.handle(call), this.ctx.log);
  }

  /** The conflict service owns the conflicts.changed count (it hears of new conflict rows from the store). */
  private conflictsRecorded(ids: number[]): void {
    if (!ids.length) return;
    // after the store call that recorded them has answered the worker: a resolver's writes are local writes
    setImmediate(() => this.conflictListeners.emit(ids));
  }

  /** Emits sync.status; without `force`, only when something a person sees has changed. */
  private publishStatus(force: boolean): void {
    let status: SyncStatus;
    try {
      status = this.status(false);
    } catch (error) {
      this.ctx.log.warn('could not compute the sync status', { error });
      return;
    }
    const key = JSON.stringify({ ...status, throughput: null, bytes: null });
    if (!force && key === this.lastStateKey) return;
    this.lastStateKey = key;
    this.ctx.events.emit('sync.status', status);
    this.scheduleStats();
  }

  /** Emits queue.stats (and the sync status) soon, throttled: after any write that changed the queue. */
  scheduleStats(): void {
    if (this.statsTimer || this.stopping) return;
    this.statsTimer = setTimeout(() => {
      this.statsTimer = null;
      try {
        this.ctx.events.emit('queue.stats', this.stats(0));
      } catch (error) {
        this.ctx.log.warn('could not read queue stats', { error });
      }
      this.publishStatus(false);
    }, STATS_THROTTLE_MS);
    this.statsTimer.unref?.();
  }
}
