import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
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
import { autoCommitMessage, type GitRunner, type GitAuthor, type GitRemote, type GitSyncResult } from '../../shared/protocol/git';
import { itemTypeOf, readWorkspaceFile } from './files';
import { Mutex, WorkspaceDbLock } from './lock';
import { GitQueue } from './git-queue';
import { UnsyncedCounter, WorkspaceSignals } from './signals';
import { resolveWorkspaceFile } from '../../lib/workspace-files';
import { deleteItemsByPath, itemRow, logSync, openStore, upsertItems, type ConflictRow, type ItemRow, type ItemUpsert } from './store';
import { conflictRow, conflictRows, pendingResolutions } from './conflict-rows';
import type { WorkspaceContext } from './context';
import { WorkspaceItems } from './items';
import { resolveLocally, type Resolution } from './resolutions';
import { FileScanner } from './scan';
import { FileWatcher } from './watcher';
import { stripCredentials, workspaceAuthor, workspaceRemote } from './remote';

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
 */
export class Workspace {
  readonly root: string;
  private readonly mutex = new Mutex();
  private readonly git: GitQueue;
  private autoTimer: NodeJS.Timeout | null = null;
  private unsubscribeSettings: (() => void) | null = null;
  private lastCommitAt: string | null = null;
  private lastSyncAt: string | null = null;
  private lastError: string | null = null;
  private closed = false;
  private readonly unsyncedCounter: UnsyncedCounter;
  private readonly signals: WorkspaceSignals;
  private readonly ctx: WorkspaceContext;
  private readonly items: WorkspaceItems;
  private readonly scanner: FileScanner;
  private readonly watcher: FileWatcher | null;
  /** entries of the remote's tree the last checkout did not write, twins of another of its names: entry → why */
  private remoteTwins = new Map<string, string>();

  private constructor(
    private readonly options: WorkspaceOptions,
    private readonly db: PGlite,
    private readonly lock: WorkspaceDbLock,
    git: GitRunner,
    private readonly secrets: SecretStore,
  ) {
    this.root = join(options.dataDir, 'workspace');
    this.unsyncedCounter = new UnsyncedCounter(async () => {
      const s = await this.status();
      return s.pending + s.unpushedCommits;
    }, options.log);
    this.signals = new WorkspaceSignals(options.events, options.log, this.unsyncedCounter);
    this.git = new GitQueue(git, () => this.unsyncedCounter.recount());
    this.ctx = { root: this.root, db, mutex: this.mutex, signals: this.signals, log: options.log, nodeName: options.identity.nodeName };
    this.items = new WorkspaceItems(this.ctx);
    this.scanner = new FileScanner(this.ctx);
    this.watcher = options.watch !== false ? new FileWatcher(this.root, options.log, () => this.scan(), () => this.git.busy) : null;
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

  /**
   * Called whenever text conflicts appear or get resolved: the conflict service re-counts and emits the one
   * `conflicts.changed` count over records and texts (the workspace emits no count of its own).
   */
  onConflictsChanged(listener: () => void): () => void {
    return this.signals.onConflictsChanged(listener);
  }

  static async open(options: WorkspaceOptions): Promise<Workspace> {
    const lock = WorkspaceDbLock.acquire(options.dataDir);
    let db: PGlite | null = null;
    try {
      mkdirSync(join(options.dataDir, 'workspace'), { recursive: true });
      db = await openStore(join(options.dataDir, 'workspace-db'));
      const git = options.git;
      const ws = new Workspace(options, db, lock, git, options.secrets ?? new FileSecretStore(options.dataDir));
      await git.request({ kind: 'git.init', dir: ws.root });
      await ws.scan();
      ws.watcher?.start();
      if (options.autoCommit !== false) ws.scheduleAutoCommit();
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
    if (this.autoTimer) clearTimeout(this.autoTimer);
    this.unsubscribeSettings?.();
    await this.git.close();
    await this.mutex.idle();
    await this.db.close();
    this.lock.release();
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

  /** What keeps part of the workspace out of sync until a person acts: twins left out, and the last error. */
  private statusError(): string | null {
    const notes = [...this.scanner.keptOutNotes(), ...this.remoteTwins.values()];
    const twins = notes.length === 0 ? null : notes.slice(0, 3).join(' ') + (notes.length > 3 ? ` (and ${notes.length - 3} more twins left out)` : '');
    return [this.lastError, twins].filter((x): x is string => x !== null).join(' ') || null;
  }

  // ---- Git ---------------------------------------------------------------------------------------------

  /** Commits every changed item (never items waiting on a conflict); null when nothing changed. */
  commit(): Promise<WorkspaceCommitResult> {
    return this.git.run(() => this.commitNow());
  }

  /** Commit, then fetch, fast-forward or merge, push (when a remote is configured). */
  sync(): Promise<WorkspaceSyncResult> {
    return this.git.run(() => this.syncNow());
  }

  async status(): Promise<WorkspaceStatus> {
    const counts = await this.db.query<{ pending: number; conflicts: number }>(
      `SELECT (SELECT count(*)::int FROM workspace_items WHERE sync_status = 'pending') AS pending,
              (SELECT count(*)::int FROM workspace_conflicts WHERE status = 'pending') AS conflicts`,
    );
    const remote = await this.remote().catch(() => null);
    const { head, unpushed } = await this.git.runner.request({ kind: 'git.head', dir: this.root });
    return {
      head,
      unpushedCommits: unpushed,
      remoteUrl: remote ? stripCredentials(remote.url) : null,
      pending: counts.rows[0]?.pending ?? 0,
      conflicts: counts.rows[0]?.conflicts ?? 0,
      lastCommitAt: this.lastCommitAt,
      lastSyncAt: this.lastSyncAt,
      lastError: this.statusError(),
      busy: this.git.busy,
    };
  }

  async log(input: { path?: string; limit: number }): Promise<WorkspaceCommit[]> {
    const commits = await this.git.runner.request({ kind: 'git.log', dir: this.root, limit: input.limit, ...(input.path ? { path: input.path } : {}) });
    return commits.map((c) => ({
      id: c.oid,
      message: c.message,
      author: { name: c.author.name, email: c.author.email },
      at: new Date(c.author.timestamp * 1000).toISOString(),
      parents: c.parents,
    }));
  }

  async show(input: { path: string; commit: string }): Promise<WorkspaceItemAtCommit> {
    const res = await this.git.runner.request({ kind: 'git.show', dir: this.root, oid: input.commit, path: input.path });
    return { commit: input.commit, path: input.path, exists: res.oid !== null, binary: res.binary, content: res.text };
  }

  /** Brings an item back as it was at a commit (a deletion if it did not exist then), as a new commit. */
  async restore(input: { path: string; commit: string }): Promise<{ item: WorkspaceItem | null; commit: string | null }> {
    const old = await this.show(input);
    if (old.binary) throw new OutpostError('invalid_input', `${input.path} was binary at ${input.commit.slice(0, 8)}: restore it with a Git tool.`);
    let item: WorkspaceItem | null = null;
    if (old.exists) item = await this.save({ path: input.path, content: old.content ?? '' });
    else if ((await itemRow(this.db, input.path))?.deleted === false) await this.delete(input.path);
    const result = await this.git.run(() => this.commitNow(`Restore ${input.path} to ${input.commit.slice(0, 12)}`));
    if (result.commit) this.syncInBackground();
    return { item: item ? await this.get(input.path) : null, commit: result.commit };
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

  // ---- internals ---------------------------------------------------------------------------------------

  private async commitNow(message?: string): Promise<WorkspaceCommitResult> {
    await this.scan();
    const pending = await this.mutex.run(async () => {
      const rows = await this.db.query<Pick<ItemRow, 'path' | 'deleted' | 'committed_oid'>>(
        `SELECT path, deleted, committed_oid FROM workspace_items
         WHERE conflict_id IS NULL AND (deleted OR committed_oid IS DISTINCT FROM content_oid)`,
      );
      const dropped = rows.rows.filter((r) => r.deleted && r.committed_oid === null).map((r) => r.path);
      await deleteItemsByPath(this.db, dropped);
      await this.db.query(
        `UPDATE workspace_items SET sync_status = 'committed' WHERE sync_status = 'pending' AND conflict_id IS NULL AND NOT deleted AND committed_oid = content_oid`,
      );
      return rows.rows.filter((r) => !(r.deleted && r.committed_oid === null));
    });
    if (pending.length === 0) return { commit: null, items: 0 };
    this.signals.progress({ phase: 'commit', loaded: 0, total: pending.length });
    const res = await this.git.runner.request({
      kind: 'git.commit',
      dir: this.root,
      changed: pending.filter((p) => !p.deleted).map((p) => p.path),
      removed: pending.filter((p) => p.deleted).map((p) => p.path),
      message: message ?? autoCommitMessage(pending.length),
      author: this.author(),
    });
    await this.mutex.run(async () => {
      await this.markCommitted(res.committed);
      if (res.oid) await logSync(this.db, { operation: 'commit', status: 'success', commit: res.oid, detail: `${res.committed.length} items` });
    });
    if (res.oid) {
      this.lastCommitAt = new Date().toISOString();
      this.options.log.info('workspace: committed', { commit: res.oid, items: res.committed.length });
      this.signals.changed(res.committed.map((c) => c.path));
    }
    return { commit: res.oid, items: res.committed.length };
  }

  private async markCommitted(committed: { path: string; oid: string | null }[]): Promise<void> {
    const removed = committed.filter((c) => c.oid === null).map((c) => c.path);
    const kept = committed.filter((c) => c.oid !== null);
    await this.db.transaction(async (tx) => {
      if (removed.length > 0) await tx.query(`DELETE FROM workspace_items WHERE deleted AND path = ANY($1::text[])`, [removed]);
      if (kept.length > 0) {
        await tx.query(
          `UPDATE workspace_items i SET committed_oid = x.oid,
             sync_status = CASE WHEN i.conflict_id IS NOT NULL THEN i.sync_status WHEN i.content_oid = x.oid THEN 'committed' ELSE 'pending' END
           FROM jsonb_to_recordset($1::jsonb) AS x(path text, oid text) WHERE i.path = x.path`,
          [JSON.stringify(kept)],
        );
      }
    });
  }

  private async syncNow(): Promise<WorkspaceSyncResult> {
    const started = Date.now();
    const committed = await this.commitNow();
    const remote = await this.remote();
    if (!remote) {
      return { outcome: 'no-remote', commit: committed.commit, head: null, mergeCommit: null, pushed: false, attempts: 0, changed: 0, conflicts: 0, durationMs: Date.now() - started };
    }
    const resolutions = await pendingResolutions(this.db);
    const held = (await this.db.query<{ path: string }>(`SELECT path FROM workspace_items WHERE conflict_id IS NOT NULL`)).rows.map((r) => r.path);
    let res: GitSyncResult;
    try {
      res = await this.git.runner.request(
        { kind: 'git.sync', dir: this.root, remote, author: this.author(), resolutions, held },
        (p) => this.signals.progress({ phase: p.phase, loaded: p.loaded, total: p.total }),
      );
    } catch (error) {
      const message = (error as Error).message;
      this.lastError = message;
      await logSync(this.db, { operation: 'sync', status: 'error', error: message.slice(0, 1000) });
      this.signals.progress({ phase: 'error', loaded: 0, total: 0, message });
      throw error;
    }
    const pendingConflicts = await this.mutex.run(() => this.applySync(res));
    this.lastSyncAt = new Date().toISOString();
    this.lastError = null;
    this.signals.progress({ phase: 'done', loaded: 1, total: 1, message: res.outcome });
    // items whose content or status changed: merged or fast-forwarded files, conflicted ones, merged resolutions
    const changedPaths = [...new Set([...res.changed.map((c) => c.path), ...res.conflicts.map((c) => c.path), ...resolutions.map((r) => r.path)])];
    if (changedPaths.length > 0) this.signals.changed(changedPaths);
    this.signals.conflictsChanged();
    return {
      outcome: res.outcome,
      commit: committed.commit,
      head: res.head,
      mergeCommit: res.mergeCommit,
      pushed: res.pushed,
      attempts: res.attempts,
      changed: res.changed.length,
      conflicts: pendingConflicts,
      durationMs: Date.now() - started,
    };
  }

  /** Mirrors a sync's outcome in PGlite: files the merge changed, conflicts found, resolutions merged. */
  private async applySync(res: GitSyncResult): Promise<number> {
    const skipped = new Set(res.skipped);
    const upserts: ItemUpsert[] = [];
    const removed: string[] = [];
    for (const change of res.changed) {
      if (change.oid === null) {
        if (!skipped.has(change.path)) removed.push(change.path);
        continue;
      }
      const onDisk = skipped.has(change.path) ? await readWorkspaceFile(this.root, change.path) : null;
      let facts: { mtimeMs: number; size: number } | null = null;
      try {
        const st = statSync(resolveWorkspaceFile(this.root, change.path));
        facts = { mtimeMs: st.mtimeMs, size: st.size };
      } catch {
        facts = null; // unsafe path from the remote, or a symlink: never an item
      }
      if (!facts) continue;
      const text = onDisk ? onDisk.text : change.text;
      const oid = onDisk ? onDisk.oid : change.oid;
      upserts.push({
        id: randomUUID(),
        path: change.path,
        type: itemTypeOf(change.path),
        content: text ?? '',
        is_binary: text === null,
        size: onDisk ? onDisk.size : facts.size,
        content_oid: oid,
        committed_oid: change.oid,
        modified_by: onDisk ? 'external edit' : 'remote',
        sync_status: oid === change.oid ? 'synced' : 'pending',
        file_mtime_ms: facts.mtimeMs,
        file_size: facts.size,
      });
    }
    return this.db.transaction(async (tx) => {
      await upsertItems(tx, upserts);
      await deleteItemsByPath(tx, removed);
      if (res.mergeCommit) {
        // the resolutions this sync's merge commits hold (the worker names them) are merged: their items are plain
        // items again. Any other resolved conflict was not used (resolved while the sync ran, or its sides moved):
        // marked merged, its item would take a committed_oid no tree holds and never commit
        const merged = await tx.query<ConflictRow>(
          `UPDATE workspace_conflicts SET merge_commit = $1
           WHERE status = 'resolved' AND merge_commit IS NULL AND carried_into IS NULL AND released_in IS NULL AND id = ANY($2::text[]) RETURNING *`,
          [res.mergeCommit, res.applied],
        );
        for (const c of merged.rows) {
          // a twin's resolution removed this node's name and kept the text under the remote's
          if (c.kind === 'twin') await tx.query(`DELETE FROM workspace_items WHERE path = $1 AND deleted`, [c.item_path]);
          const kept = c.kind === 'twin' ? c.twin_path : c.item_path;
          if (kept === null) continue;
          await tx.query(
            `UPDATE workspace_items SET conflict_id = NULL, committed_oid = $2,
               sync_status = CASE WHEN content_oid = $2 THEN 'synced' ELSE 'pending' END WHERE path = $1`,
            [kept, c.resolved_oid],
          );
          if (c.resolved_deleted) await tx.query(`DELETE FROM workspace_items WHERE path = $1 AND deleted`, [kept]);
        }
        await logSync(tx, { operation: 'merge', status: 'success', commit: res.mergeCommit, detail: `${res.changed.length} paths from the remote` });
      }
      for (const conflict of res.conflicts) await this.recordConflict(tx, conflict, res);
      if (res.outcome !== 'conflicts') {
        await this.releaseUnmerged(tx, res);
        await tx.query(`UPDATE workspace_items SET sync_status = 'synced' WHERE sync_status = 'committed'`);
      }
      if (res.outcome === 'fast-forward' || res.outcome === 'merged') {
        const twins = new Map(res.twins.map((t) => [t.entry, t.message]));
        for (const [entry, message] of twins) {
          if (this.remoteTwins.has(entry)) continue;
          this.options.log.warn('workspace: a twin in the remote tree is not written', { entry, message });
          await logSync(tx, { operation: 'checkout', status: 'error', path: entry, commit: res.remoteHead, error: message });
        }
        this.remoteTwins = twins;
      }
      await logSync(tx, { operation: 'sync', status: res.outcome === 'conflicts' ? 'conflicts' : 'success', commit: res.head, detail: `${res.outcome}; ${res.attempts} attempt(s)` });
      const n = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM workspace_conflicts WHERE status = 'pending'`);
      return n.rows[0]?.n ?? 0;
    });
  }

  /**
   * A sync that ended without conflicts went past every resolution it did not merge: its path did not conflict
   * (held paths always do while the remote changed them, so the remote now holds this node's side, or the base),
   * and no later merge will meet its sides again. Its items are let go, to be committed as they stand by the next
   * commit: the person's choice, or a save made since, reaches the hub instead of waiting on a merge forever.
   */
  private async releaseUnmerged(tx: Parameters<Parameters<PGlite['transaction']>[0]>[0], res: GitSyncResult): Promise<void> {
    const released = await tx.query<ConflictRow>(
      `UPDATE workspace_conflicts SET released_in = $1
       WHERE status = 'resolved' AND merge_commit IS NULL AND carried_into IS NULL AND released_in IS NULL AND NOT (id = ANY($2::text[])) RETURNING *`,
      [res.head ?? res.remoteHead ?? 'none', res.applied],
    );
    for (const c of released.rows) {
      await tx.query(
        `UPDATE workspace_items SET conflict_id = NULL,
           sync_status = CASE WHEN deleted OR committed_oid IS DISTINCT FROM content_oid THEN 'pending' ELSE 'synced' END
         WHERE conflict_id = $1 AND path = ANY($2::text[])`,
        [c.id, c.twin_path ? [c.item_path, c.twin_path] : [c.item_path]],
      );
      await logSync(tx, { operation: 'resolve', status: 'released', path: c.item_path, commit: res.head, detail: 'not merged: committed as a change next' });
    }
  }

  private async recordConflict(tx: Parameters<Parameters<PGlite['transaction']>[0]>[0], c: GitSyncResult['conflicts'][number], res: GitSyncResult): Promise<void> {
    const open = await tx.query<ConflictRow>(
      `SELECT * FROM workspace_conflicts WHERE item_path = $1 AND status IN ('pending', 'resolved') AND merge_commit IS NULL AND carried_into IS NULL AND released_in IS NULL`,
      [c.path],
    );
    const current = open.rows.find((r) => r.local_oid === c.localOid && r.remote_oid === c.remoteOid && r.kind === c.kind);
    if (current) return; // the same conflict seen again (or already resolved, waiting for the merge)
    const id = randomUUID().replace(/-/g, '').slice(0, 24);
    // The remote moved past these. A pending one is replaced by this one (its local side carries over). A resolved
    // one stays resolved and listed, not superseded (which hides it): it records a person's choice between its
    // sides, and a save that choice dropped was one of them.
    for (const stale of open.rows) {
      if (stale.status === 'pending') await tx.query(`UPDATE workspace_conflicts SET status = 'superseded' WHERE id = $1`, [stale.id]);
      else await tx.query(`UPDATE workspace_conflicts SET carried_into = $2 WHERE id = $1`, [stale.id, id]);
    }
    // This node's side is the item's text as it stands: the tree's, unless something newer is there (a save made
    // while the sync ran, which the checkout skipped; a person's resolution of an earlier conflict here, written to
    // the file; a save made after that resolution). Any older text would let resolving drop a save.
    const item = await tx.query<{ content: string; is_binary: boolean; deleted: boolean }>(`SELECT content, is_binary, deleted FROM workspace_items WHERE path = $1`, [c.path]);
    const saved = item.rows[0];
    const mine = c.kind !== 'binary' && saved && !saved.deleted && !saved.is_binary ? saved.content : null;
    const carried = open.rows.find((r) => r.status === 'resolved' && r.resolved_content !== null);
    const localText = mine ?? carried?.resolved_content ?? c.local;
    await tx.query(
      `INSERT INTO workspace_conflicts (id, item_path, kind, base_oid, local_oid, remote_oid, base_content, local_content, remote_content, local_commit, remote_commit, twin_path)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [id, c.path, c.kind, c.baseOid, c.localOid, c.remoteOid, c.base, localText, c.remote, res.head, res.remoteHead, c.twinPath ?? null],
    );
    await tx.query(`UPDATE workspace_items SET conflict_id = $2, sync_status = 'conflict' WHERE path = $1`, [c.path, id]);
    await logSync(tx, { operation: 'conflict', status: 'pending', path: c.path, commit: res.remoteHead, detail: c.twinPath ? `${c.kind} of ${c.twinPath}` : c.kind });
    this.options.log.warn('workspace: conflict', { path: c.path, kind: c.kind, ...(c.twinPath ? { twinPath: c.twinPath } : {}) });
  }

  /** Where the workspace syncs (remote.ts), credentials included; null when no remote is set up. */
  remote(): Promise<GitRemote | null> {
    return workspaceRemote(this.options.settings.get(), this.options.identity, this.secrets);
  }

  private author(): GitAuthor {
    return workspaceAuthor(this.options.settings.get(), this.options.identity);
  }

  /** Syncs after a commit when a remote is set and sync is not paused; failures are logged and shown in status. */
  syncInBackground(): void {
    void this.remote().then((remote) => {
      if (remote && !this.options.settings.get().sync.paused) this.sync().catch((e) => this.options.log.warn('workspace: sync failed', { error: e }));
    });
  }

  private scheduleAutoCommit(): void {
    const arm = () => {
      if (this.autoTimer) clearTimeout(this.autoTimer);
      if (this.closed) return;
      const minutes = this.options.settings.get().workspace.autoCommitMinutes;
      this.autoTimer = setTimeout(() => void this.autoCommit().finally(arm), minutes * 60_000);
      this.autoTimer.unref();
    };
    this.unsubscribeSettings = this.options.settings.onChange((next, prev) => {
      if (next.workspace.autoCommitMinutes !== prev.workspace.autoCommitMinutes) arm();
    });
    arm();
  }

  private async autoCommit(): Promise<void> {
    try {
      const paused = this.options.settings.get().sync.paused;
      if (!paused && (await this.remote())) await this.sync();
      else await this.commit();
    } catch (error) {
      this.lastError = (error as Error).message;
      this.options.log.warn('workspace: auto-commit failed', { error });
    }
  }

}
