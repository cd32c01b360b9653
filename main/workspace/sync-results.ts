import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import type { Transaction } from '@electric-sql/pglite';
import type { GitSyncResult } from '../../shared/protocol/git';
import { resolveWorkspaceFile } from '../../lib/workspace-files';
import type { WorkspaceContext } from './context';
import { AWAITING_MERGE } from './conflict-rows';
import { itemTypeOf, readWorkspaceFile } from './files';
import { deleteItemsByPath, logSync, upsertItems, type ConflictRow, type ItemUpsert } from './store';

/**
 * Mirrors a sync's outcome in PGlite: the files the merge or fast-forward changed, the conflicts found, the
 * resolutions merged or let go, and the remote's twins the checkout did not write.
 */
export class SyncMirror {
  /** entries of the remote's tree the last checkout did not write, twins of another of its names: entry → why */
  private remoteTwins = new Map<string, string>();

  constructor(private readonly ctx: WorkspaceContext) {}

  /** Why parts of the remote's tree are not in the working tree, until a sync writes them. */
  remoteTwinNotes(): string[] {
    return [...this.remoteTwins.values()];
  }

  /** Call under the mutex; returns how many text conflicts are pending now. */
  async apply(res: GitSyncResult): Promise<number> {
    const { upserts, removed } = await this.changedItems(res);
    return this.ctx.db.transaction(async (tx) => {
      await upsertItems(tx, upserts);
      await deleteItemsByPath(tx, removed);
      if (res.mergeCommit) await markMerged(tx, res, res.mergeCommit);
      for (const conflict of res.conflicts) await this.recordConflict(tx, conflict, res);
      if (res.outcome !== 'conflicts') {
        await releaseUnmerged(tx, res);
        await tx.query(`UPDATE workspace_items SET sync_status = 'synced' WHERE sync_status = 'committed'`);
      }
      if (res.outcome === 'fast-forward' || res.outcome === 'merged') {
        const twins = new Map(res.twins.map((t) => [t.entry, t.message]));
        for (const [entry, message] of twins) {
          if (this.remoteTwins.has(entry)) continue;
          this.ctx.log.warn('workspace: a twin in the remote tree is not written', { entry, message });
          await logSync(tx, { operation: 'checkout', status: 'error', path: entry, commit: res.remoteHead, error: message });
        }
        this.remoteTwins = twins;
      }
      await logSync(tx, { operation: 'sync', status: res.outcome === 'conflicts' ? 'conflicts' : 'success', commit: res.head, detail: `${res.outcome}; ${res.attempts} attempt(s)` });
      const n = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM workspace_conflicts WHERE status = 'pending'`);
      return n.rows[0]?.n ?? 0;
    });
  }

  /** The items of the files the sync wrote or removed; a file skipped because it was edited meanwhile keeps that edit. */
  private async changedItems(res: GitSyncResult): Promise<{ upserts: ItemUpsert[]; removed: string[] }> {
    const skipped = new Set(res.skipped);
    const upserts: ItemUpsert[] = [];
    const removed: string[] = [];
    for (const change of res.changed) {
      if (change.oid === null) {
        if (!skipped.has(change.path)) removed.push(change.path);
        continue;
      }
      const onDisk = skipped.has(change.path) ? await readWorkspaceFile(this.ctx.root, change.path) : null;
      let facts: { mtimeMs: number; size: number } | null = null;
      try {
        const st = statSync(resolveWorkspaceFile(this.ctx.root, change.path));
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
    return { upserts, removed };
  }

  private async recordConflict(tx: Transaction, c: GitSyncResult['conflicts'][number], res: GitSyncResult): Promise<void> {
    const open = await tx.query<ConflictRow>(
      `SELECT * FROM workspace_conflicts WHERE item_path = $1 AND status IN ('pending', 'resolved') AND ${AWAITING_MERGE}`,
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
    this.ctx.log.warn('workspace: conflict', { path: c.path, kind: c.kind, ...(c.twinPath ? { twinPath: c.twinPath } : {}) });
  }
}

/**
 * The resolutions this sync's merge commit holds (the worker names them) are merged: their items are plain items
 * again. Any other resolved conflict was not used (resolved while the sync ran, or its sides moved): marked merged,
 * its item would take a committed_oid no tree holds and never commit.
 */
async function markMerged(tx: Transaction, res: GitSyncResult, mergeCommit: string): Promise<void> {
  const merged = await tx.query<ConflictRow>(
    `UPDATE workspace_conflicts SET merge_commit = $1 WHERE status = 'resolved' AND ${AWAITING_MERGE} AND id = ANY($2::text[]) RETURNING *`,
    [mergeCommit, res.applied],
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
  await logSync(tx, { operation: 'merge', status: 'success', commit: mergeCommit, detail: `${res.changed.length} paths from the remote` });
}

/**
 * A sync that ended without conflicts went past every resolution it did not merge: its path did not conflict
 * (held paths always do while the remote changed them, so the remote now holds this node's side, or the base),
 * and no later merge will meet its sides again. Its items are let go, to be committed as they stand by the next
 * commit: the person's choice, or a save made since, reaches the hub instead of waiting on a merge forever.
 */
async function releaseUnmerged(tx: Transaction, res: GitSyncResult): Promise<void> {
  const released = await tx.query<ConflictRow>(
    `UPDATE workspace_conflicts SET released_in = $1 WHERE status = 'resolved' AND ${AWAITING_MERGE} AND NOT (id = ANY($2::text[])) RETURNING *`,
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
