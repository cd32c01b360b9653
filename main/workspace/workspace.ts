import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { OutpostError } from '../../shared/errors';
import type { Page } from '../../shared/domain/records';
import type {
  WorkspaceCommit,
  WorkspaceCommitResult,
  WorkspaceItem,
  WorkspaceItemAtCommit,
  WorkspaceItemSummary,
  WorkspaceStatus,
  WorkspaceSyncResult,
} from '../../shared/domain/workspace';
import type { EventBus } from '../events';
import type { Logger } from '../../lib/log';
import { FileSecretStore, type SecretStore } from '../secrets';
import type { NodeIdentity } from '../services';
import type { SettingsStore } from '../settings-store';
import type { GitRemote, GitRunner } from '../../shared/protocol/git';
import { AutoCommit } from './auto-commit';
import { conflictRow, conflictRows } from './conflict-rows';
import type { WorkspaceContext } from './context';
import { GitQueue } from './git-queue';
import { GitWork } from './git-work';
import { WorkspaceItems } from './items';
import { Mutex, WorkspaceDbLock } from './lock';
import { workspaceAuthor, workspaceRemote } from './remote';
import { resolveLocally, type Resolution } from './resolutions';
import { FileScanner } from './scan';
import { UnsyncedCounter, WorkspaceSignals } from './signals';
import { itemRow, openStore, type ConflictRow } from './store';
import { SyncMirror } from './sync-results';
import { FileWatcher } from './watcher';

export interface WorkspaceOptions {
  dataDir: string;
  identity: NodeIdentity;
  settings: SettingsStore;
  log: Logger;
  events?: EventBus;
  /** where the hub token and Git credentials live; defaults to the data folder's secret file */
  secrets?: SecretStore;
  /** the Git engine: the sync worker's channel in the app (channelGitRunner), in process in tests */
  git: GitRunner;
  /** notice edits by other programs as they happen (a scan at every commit happens regardless) */
  watch?: boolean;
  /** commit (and sync) every settings.workspace.autoCommitMinutes */
  autoCommit?: boolean;
}

/**
 * The node's workspace: items in PGlite (<data>/workspace-db) mirrored as files in a Git working tree
 * (<data>/workspace, branch main). Main owns the database and the item files; the Git work (commit, fetch,
 * merge, push) runs through the GitRunner, in the utility process in the app. Edits made to the files by
 * other programs are taken into PGlite (watcher, and a scan before every commit), never overwritten.
 * This class wires the parts (README.md) and is the API the node and the tests use.
 */
export class Workspace {
  readonly root: string;
  private closed = false;
  private readonly git: GitQueue;
  private readonly unsyncedCounter: UnsyncedCounter;
  private readonly signals: WorkspaceSignals;
  private readonly ctx: WorkspaceContext;
  private readonly items: WorkspaceItems;
  private readonly scanner: FileScanner;
  private readonly work: GitWork;
  private readonly watcher: FileWatcher | null;
  private readonly autoCommit: AutoCommit | null;

  private constructor(
    private readonly options: WorkspaceOptions,
    private readonly db: PGlite,
    private readonly lock: WorkspaceDbLock,
    secrets: SecretStore,
  ) {
    this.root = join(options.dataDir, 'workspace');
    const { log, settings, identity } = options;
    this.unsyncedCounter = new UnsyncedCounter(async () => {
      const s = await this.status();
      return s.pending + s.unpushedCommits;
    }, log);
    this.signals = new WorkspaceSignals(options.events, log, this.unsyncedCounter);
    this.git = new GitQueue(options.git, () => this.unsyncedCounter.recount());
    this.ctx = { root: this.root, db, mutex: new Mutex(), signals: this.signals, log, nodeName: identity.nodeName };
    this.items = new WorkspaceItems(this.ctx);
    this.scanner = new FileScanner(this.ctx);
    this.work = new GitWork(
      this.ctx,
      this.git,
      this.scanner,
      new SyncMirror(this.ctx),
      () => workspaceRemote(settings.get(), identity, secrets),
      () => workspaceAuthor(settings.get(), identity),
    );
    this.watcher = options.watch !== false ? new FileWatcher(this.root, log, () => this.scan(), () => this.git.busy) : null;
    this.autoCommit = options.autoCommit !== false ? new AutoCommit(settings, this.work, log) : null;
  }

  static async open(options: WorkspaceOptions): Promise<Workspace> {
    const lock = WorkspaceDbLock.acquire(options.dataDir);
    let db: PGlite | null = null;
    try {
      mkdirSync(join(options.dataDir, 'workspace'), { recursive: true });
      db = await openStore(join(options.dataDir, 'workspace-db'));
      const ws = new Workspace(options, db, lock, options.secrets ?? new FileSecretStore(options.dataDir));
      await options.git.request({ kind: 'git.init', dir: ws.root });
      await ws.scan();
      ws.watcher?.start();
      ws.autoCommit?.start();
      ws.unsyncedCounter.recount();
      return ws;
    } catch (error) {
      await db?.close().catch(() => undefined);
      lock.release();
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsyncedCounter.stop();
    this.watcher?.close();
    this.autoCommit?.stop();
    await this.git.close();
    await this.ctx.mutex.idle();
    await this.db.close();
    this.lock.release();
  }

  /**
   * Moves the Git work to another runner (the node opens the workspace on the sync worker's channel already;
   * tests hand a workspace over this way). Requests already queued finish first.
   */
  setGitRunner(runner: GitRunner): void {
    void this.git.use(runner);
    this.unsyncedCounter.recount();
  }

  /**
   * Changes not on the hub yet: items saved but not committed plus commits not pushed (null until first
   * counted). Recounted after every change, commit and sync; listeners hear when the count moved.
   */
  unsynced(): number | null {
    return this.unsyncedCounter.value;
  }

  onUnsyncedChanged(listener: () => void): () => void {
    return this.unsyncedCounter.onChanged(listener);
  }

  /** Called whenever text conflicts appear or get resolved (the conflict service re-counts and emits the count). */
  onConflictsChanged(listener: () => void): () => void {
    return this.signals.onConflictsChanged(listener);
  }

  // ---- items -------------------------------------------------------------------------------------------

  list(input: { prefix?: string; offset: number; limit: number }): Promise<Page<WorkspaceItemSummary>> {
    return this.items.list(input);
  }

  get(path: string): Promise<WorkspaceItem> {
    return this.items.get(path);
  }

  save(input: { path: string; content: string; expectedVersion?: number }, by = this.options.identity.nodeName): Promise<WorkspaceItem> {
    return this.items.save(input, by);
  }

  delete(path: string): Promise<{ path: string; deleted: true }> {
    return this.items.delete(path);
  }

  /** Takes edits made by other programs into PGlite; returns the paths whose items changed. */
  scan(): Promise<string[]> {
    return this.scanner.scan();
  }

  // ---- Git ---------------------------------------------------------------------------------------------

  /** Commits every changed item (never items waiting on a conflict); null when nothing changed. */
  commit(): Promise<WorkspaceCommitResult> {
    return this.work.commit();
  }

  /** Commit, then fetch, fast-forward or merge, push (when a remote is configured). */
  sync(): Promise<WorkspaceSyncResult> {
    return this.work.sync();
  }

  status(): Promise<WorkspaceStatus> {
    return this.work.status();
  }

  log(input: { path?: string; limit: number }): Promise<WorkspaceCommit[]> {
    return this.work.log(input);
  }

  show(input: { path: string; commit: string }): Promise<WorkspaceItemAtCommit> {
    return this.work.show(input);
  }

  /** Brings an item back as it was at a commit (a deletion if it did not exist then), as a new commit. */
  async restore(input: { path: string; commit: string }): Promise<{ item: WorkspaceItem | null; commit: string | null }> {
    const old = await this.show(input);
    if (old.binary) throw new OutpostError('invalid_input', `${input.path} was binary at ${input.commit.slice(0, 8)}: restore it with a Git tool.`);
    let item: WorkspaceItem | null = null;
    if (old.exists) item = await this.save({ path: input.path, content: old.content ?? '' });
    else if ((await itemRow(this.db, input.path))?.deleted === false) await this.delete(input.path);
    const result = await this.work.commit(`Restore ${input.path} to ${input.commit.slice(0, 12)}`);
    if (result.commit) this.syncInBackground();
    return { item: item ? await this.get(input.path) : null, commit: result.commit };
  }

  /** Where the workspace syncs, credentials included; null when no remote is set up. */
  remote(): Promise<GitRemote | null> {
    return this.work.remote();
  }

  /** Syncs after a commit when a remote is set and sync is not paused; failures are logged and shown in status. */
  syncInBackground(): void {
    void this.remote().then((remote) => {
      if (remote && !this.options.settings.get().sync.paused) this.sync().catch((e) => this.options.log.warn('workspace: sync failed', { error: e }));
    });
  }

  // ---- text conflicts (conflicts.* handlers call these) ---------------------------------------------------

  conflictRow(id: string): Promise<ConflictRow | null> {
    return conflictRow(this.db, id);
  }

  conflictRows(input: { status?: string; offset: number; limit: number }): Promise<{ rows: ConflictRow[]; total: number }> {
    return conflictRows(this.db, input);
  }

  /**
   * Records a person's resolution: the file and the item take the chosen content now (so nothing is lost if
   * the network is down), and the next sync makes the merge commit with both parents and pushes. Waits for
   * that sync when a remote is configured; a failed sync leaves the resolution in place to be retried.
   */
  async resolveConflict(
    id: string,
    resolution: Resolution,
    by = this.options.identity.nodeName,
  ): Promise<{ row: ConflictRow; sync: WorkspaceSyncResult | null; syncError: string | null }> {
    const path = await resolveLocally(this.ctx, id, resolution, by);
    const twinPath = (await this.conflictRow(id))?.twin_path;
    this.signals.changed(twinPath ? [path, twinPath] : [path]);
    this.signals.conflictsChanged();
    let sync: WorkspaceSyncResult | null = null;
    let syncError: string | null = null;
    if (await this.remote()) {
      try {
        sync = await this.sync();
      } catch (error) {
        syncError = (error as Error).message;
      }
    }
    return { row: (await this.conflictRow(id))!, sync, syncError };
  }
}
