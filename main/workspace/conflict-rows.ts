import type { GitResolution } from '../../shared/protocol/git';
import type { ConflictRow, Db } from './store';

/**
 * A resolution still waiting for its merge commit: not merged, not carried into a later conflict (the remote moved
 * past it), not released by a sync that went past it (SQL condition on workspace_conflicts).
 */
export const AWAITING_MERGE = `merge_commit IS NULL AND carried_into IS NULL AND released_in IS NULL`;

export async function conflictRow(db: Db, id: string): Promise<ConflictRow | null> {
  const res = await db.query<ConflictRow>(`SELECT * FROM workspace_conflicts WHERE id = $1`, [id]);
  return res.rows[0] ?? null;
}

/** A page of conflicts, newest first: those of one status, or all but the superseded. */
export async function conflictRows(db: Db, input: { status?: string; offset: number; limit: number }): Promise<{ rows: ConflictRow[]; total: number }> {
  const where = input.status ? `WHERE status = $3` : `WHERE status <> 'superseded'`;
  const params: unknown[] = [input.limit, input.offset];
  if (input.status) params.push(input.status);
  const rows = await db.query<ConflictRow & { total: number }>(
    `SELECT *, count(*) OVER () AS total FROM workspace_conflicts ${where} ORDER BY detected_at DESC, id LIMIT $1 OFFSET $2`,
    params,
  );
  return { rows: rows.rows, total: Number(rows.rows[0]?.total ?? 0) };
}

/** The resolutions the next git.sync is to merge, as the worker takes them. */
export async function pendingResolutions(db: Db): Promise<GitResolution[]> {
  const rows = await db.query<ConflictRow>(`SELECT * FROM workspace_conflicts WHERE status = 'resolved' AND ${AWAITING_MERGE}`);
  return rows.rows.map((r) => ({
    id: r.id,
    path: r.item_path,
    localOid: r.local_oid,
    remoteOid: r.remote_oid,
    result: r.resolved_deleted ? { deleted: true as const } : r.resolved_content !== null ? { text: r.resolved_content } : { oid: r.resolved_oid! },
    ...(r.kind === 'twin' ? { twinPath: r.twin_path } : {}),
  }));
}

/**
 * A pending text conflict's local side becomes the item's newest content (saved, or edited on disk): "keep this
 * node's side" keeps it, where resolving would else drop an acknowledged write. Call under the mutex.
 */
export async function takeAsConflictLocal(db: Db, conflictId: string, text: string): Promise<void> {
  await db.query(`UPDATE workspace_conflicts SET local_content = $2 WHERE id = $1 AND status = 'pending' AND kind <> 'binary'`, [conflictId, text]);
}
