import type { WorkspaceCommit, WorkspaceCommitResult, WorkspaceItemAtCommit, WorkspaceStatus, WorkspaceSyncResult } from '../../shared/domain/workspace';
import { autoCommitMessage, type GitAuthor, type GitRemote, type GitSyncResult } from '../../shared/protocol/git';
import type { WorkspaceContext } from './context';
import { pendingResolutions } from './conflict-rows';
import type { GitQueue } from './git-queue';
import { stripCredentials } from './remote';
import type { FileScanner } from './scan';
import { deleteItemsByPath, logSync, type ItemRow } from './store';
import type { SyncMirror } from './sync-results';

/**
 * The workspace's Git work through the Git runner, one operation at a time (GitQueue): commits of the changed
 * items, syncs with the remote, history; and what the last ones did, for the status. The mutex is taken only
 * around the rows it reads and writes, never across a Git request: saves go on while a sync fetches, and a save
 * the sync's checkout met is kept (the worker skips the file, the mirror takes it as pending).
 */
export class GitWork {
  private lastCommitAt: string | null = null;
  private lastSyncAt: string | null = null;
  private lastError: string | null = null;

  constructor(
    private readonly ctx: WorkspaceContext,
    private readonly queue: GitQueue,
    private readonly scanner: FileScanner,
    private readonly mirror: SyncMirror,
    /** where to sync (null: no remote set up) */
    readonly remote: () => Promise<GitRemote | null>,
    private readonly author: () => GitAuthor,
  ) {}

  /** Commits every changed item (never items waiting on a conflict); null when nothing changed. */
  commit(message?: string): Promise<WorkspaceCommitResult> {
    return this.queue.run(() => this.commitNow(message));
  }

  /** Commit, then fetch, fast-forward or merge, push (when a remote is configured). */
  sync(): Promise<WorkspaceSyncResult> {
    return this.queue.run(() => this.syncNow());
  }

  /** A failure of work started for the workspace's own reasons (auto-commit), shown in the status. */
  noteError(message: string): void {
    this.lastError = message;
  }

  async status(): Promise<WorkspaceStatus> {
    const counts = await this.ctx.db.query<{ pending: number; conflicts: number }>(
      `SELECT (SELECT count(*)::int FROM workspace_items WHERE sync_status = 'pending') AS pending,
              (SELECT count(*)::int FROM workspace_conflicts WHERE status = 'pending') AS conflicts`,
    );
    const remote = await this.remote().catch(() => null);
    const { head, unpushed } = await this.queue.runner.request({ kind: 'git.head', dir: this.ctx.root });
    return {
      head,
      unpushedCommits: unpushed,
      remoteUrl: remote ? stripCredentials(remote.url) : null,
      pending: counts.rows[0]?.pending ?? 0,
      conflicts: counts.rows[0]?.conflicts ?? 0,
      lastCommitAt: this.lastCommitAt,
      lastSyncAt: this.lastSyncAt,
      lastError: this.statusError(),
      busy: this.queue.busy,
    };
  }

  async log(input: { path?: string; limit: number }): Promise<WorkspaceCommit[]> {
    const commits = await this.queue.runner.request({ kind: 'git.log', dir: this.ctx.root, limit: input.limit, ...(input.path ? { path: input.path } : {}) });
    return commits.map((c) => ({
      id: c.oid,
      message: c.message,
      author: { name: c.author.name, email: c.author.email },
      at: new Date(c.author.timestamp * 1000).toISOString(),
      parents: c.parents,
    }));
  }

  async show(input: { path: string; commit: string }): Promise<WorkspaceItemAtCommit> {
    const res = await this.queue.runner.request({ kind: 'git.show', dir: this.ctx.root, oid: input.commit, path: input.path });
    return { commit: input.commit, path: input.path, exists: res.oid !== null, binary: res.binary, content: res.text };
  }

  /** What keeps part of the workspace out of sync until a person acts: twins left out, and the last error. */
  private statusError(): string | null {
    const notes = [...this.scanner.keptOutNotes(), ...this.mirror.remoteTwinNotes()];
    const twins = notes.length === 0 ? null : notes.slice(0, 3).join(' ') + (notes.length > 3 ? ` (and ${notes.length - 3} more twins left out)` : '');
    return [this.lastError, twins].filter((x): x is string => x !== null).join(' ') || null;
  }

  private async commitNow(message?: string): Promise<WorkspaceCommitResult> {
    const { db } = this.ctx;
    await this.scanner.scan();
    const pending = await this.ctx.mutex.run(async () => {
      const rows = await db.query<Pick<ItemRow, 'path' | 'deleted' | 'committed_oid'>>(
        `SELECT path, deleted, committed_oid FROM workspace_items
         WHERE conflict_id IS NULL AND (deleted OR committed_oid IS DISTINCT FROM content_oid)`,
      );
      const dropped = rows.rows.filter((r) => r.deleted && r.committed_oid === null).map((r) => r.path);
      await deleteItemsByPath(db, dropped);
      await db.query(
        `UPDATE workspace_items SET sync_status = 'committed' WHERE sync_status = 'pending' AND conflict_id IS NULL AND NOT deleted AND committed_oid = content_oid`,
      );
      return rows.rows.filter((r) => !(r.deleted && r.committed_oid === null));
    });
    if (pending.length === 0) return { commit: null, items: 0 };
    this.ctx.signals.progress({ phase: 'commit', loaded: 0, total: pending.length });
    const res = await this.queue.runner.request({
      kind: 'git.commit',
      dir: this.ctx.root,
      changed: pending.filter((p) => !p.deleted).map((p) => p.path),
      removed: pending.filter((p) => p.deleted).map((p) => p.path),
      message: message ?? autoCommitMessage(pending.length),
      author: this.author(),
    });
    await this.ctx.mutex.run(async () => {
      await this.markCommitted(res.committed);
      if (res.oid) await logSync(db, { operation: 'commit', status: 'success', commit: res.oid, detail: `${res.committed.length} items` });
    });
    if (res.oid) {
      this.lastCommitAt = new Date().toISOString();
      this.ctx.log.info('workspace: committed', { commit: res.oid, items: res.committed.length });
      this.ctx.signals.changed(res.committed.map((c) => c.path));
    }
    return { commit: res.oid, items: res.committed.length };
  }

  /** The commit's items take its blob ids; an item saved again since the commit read it stays pending. */
  private async markCommitted(committed: { path: string; oid: string | null }[]): Promise<void> {
    const removed = committed.filter((c) => c.oid === null).map((c) => c.path);
    const kept = committed.filter((c) => c.oid !== null);
    await this.ctx.db.transaction(async (tx) => {
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
    const { db, signals } = this.ctx;
    const started = Date.now();
    const committed = await this.commitNow();
    const remote = await this.remote();
    if (!remote) {
      return { outcome: 'no-remote', commit: committed.commit, head: null, mergeCommit: null, pushed: false, attempts: 0, changed: 0, conflicts: 0, durationMs: Date.now() - started };
    }
    const resolutions = await pendingResolutions(db);
    // paths a conflict holds are never line-merged with a new remote change: they conflict again
    const held = (await db.query<{ path: string }>(`SELECT path FROM workspace_items WHERE conflict_id IS NOT NULL`)).rows.map((r) => r.path);
    let res: GitSyncResult;
    try {
      res = await this.queue.runner.request(
        { kind: 'git.sync', dir: this.ctx.root, remote, author: this.author(), resolutions, held },
        (p) => signals.progress({ phase: p.phase, loaded: p.loaded, total: p.total }),
      );
    } catch (error) {
      const message = (error as Error).message;
      this.lastError = message;
      await logSync(db, { operation: 'sync', status: 'error', error: message.slice(0, 1000) });
      signals.progress({ phase: 'error', loaded: 0, total: 0, message });
      throw error;
    }
    const pendingConflicts = await this.ctx.mutex.run(() => this.mirror.apply(res));
    this.lastSyncAt = new Date().toISOString();
    this.lastError = null;
    signals.progress({ phase: 'done', loaded: 1, total: 1, message: res.outcome });
    // items whose content or status changed: merged or fast-forwarded files, conflicted ones, merged resolutions
    const changedPaths = [...new Set([...res.changed.map((c) => c.path), ...res.conflicts.map((c) => c.path), ...resolutions.map((r) => r.path)])];
    if (changedPaths.length > 0) signals.changed(changedPaths);
    signals.conflictsChanged();
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
}
