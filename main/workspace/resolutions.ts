import { rmSync } from 'node:fs';
import { OutpostError, notFound } from '../../shared/errors';
import { showPath } from '../../shared/domain/workspace';
import { resolveWorkspaceFile } from '../../lib/workspace-files';
import type { WorkspaceContext } from './context';
import { localHashOf } from './conflicts';
import { conflictRow } from './conflict-rows';
import { textOid } from '../../lib/git-blob';
import { writeTextItem } from './items';
import { itemRow, logSync, markItemsDeleted, type ConflictRow } from './store';

/** A person's choice: edited text (made from the local side it names, when it names one), or one side whole. */
export type Resolution = { text: string; expectedLocalHash?: string | null } | { side: 'local' | 'remote' };

/** What the item becomes: a text, a blob Git holds (a binary side), or no file. */
type Result = { text: string } | { oid: string } | { deleted: true };

/**
 * Records a person's resolution of a pending text conflict under the mutex: the file and the item take the chosen
 * content now (so nothing is lost if the network is down); the next sync's merge commit holds it. Refuses a text
 * made from a local side that a save has replaced since. Returns the item's path.
 */
export function resolveLocally(ctx: WorkspaceContext, id: string, resolution: Resolution, by: string): Promise<string> {
  return ctx.mutex.run(async () => {
    const row = await conflictRow(ctx.db, id);
    if (!row) throw notFound('Conflict', `w:${id}`);
    if (row.status !== 'pending') throw new OutpostError('conflict', `Conflict w:${id} is already ${row.status}.`);
    if ('text' in resolution && resolution.expectedLocalHash !== undefined && resolution.expectedLocalHash !== localHashOf(row)) {
      // a save landed since the text was made from this node's side: resolving would drop it
      throw new OutpostError(
        'conflict',
        `This node's side of w:${id} (${row.item_path}) changed since it was read (a save made meanwhile is its local side now): nothing was resolved. Reload the conflict and resolve it again.`,
        { localHash: localHashOf(row) },
      );
    }
    const { result, strategy } = chosen(row, resolution);
    const resolvedOid = 'text' in result ? textOid(result.text) : 'oid' in result ? result.oid : null;
    if (row.kind === 'twin') await applyTwinLocally(ctx, row, result);
    else await applyLocally(ctx, row, result);
    await ctx.db.query(
      `UPDATE workspace_conflicts SET status = 'resolved', resolved_content = $2, resolved_oid = $3, resolved_deleted = $4,
         resolution_strategy = $5, resolved_at = now(), resolved_by = $6 WHERE id = $1`,
      [id, 'text' in result ? result.text : null, resolvedOid, 'deleted' in result, strategy, by],
    );
    await logSync(ctx.db, { operation: 'resolve', status: 'success', path: row.item_path, detail: strategy });
    return row.item_path;
  });
}

function chosen(row: ConflictRow, resolution: Resolution): { result: Result; strategy: string } {
  let result: Result;
  let strategy: string;
  if ('text' in resolution) {
    if (row.kind === 'binary') throw new OutpostError('invalid_input', 'A binary conflict is resolved by choosing local or remote, not by text.');
    result = { text: resolution.text };
    strategy = 'edited';
  } else {
    strategy = resolution.side;
    const oid = resolution.side === 'local' ? row.local_oid : row.remote_oid;
    const text = resolution.side === 'local' ? row.local_content : row.remote_content;
    // a save made while in conflict is the local side's text even where the conflict began as a deletion
    result = row.kind !== 'binary' && text !== null ? { text } : oid === null ? { deleted: true } : { oid };
  }
  if (row.kind === 'twin' && row.twin_path === null && !('deleted' in result)) {
    throw new OutpostError(
      'invalid_input',
      `The remote holds a folder where ${showPath(row.item_path)} is a file (or a file where it is a folder): only the remote's side can be kept. This node's text stays on record in w:${row.id}; save it under another name.`,
    );
  }
  return { result, strategy };
}

async function applyLocally(ctx: WorkspaceContext, row: ConflictRow, result: Result): Promise<void> {
  const item = await itemRow(ctx.db, row.item_path);
  if ('deleted' in result) {
    rmSync(resolveWorkspaceFile(ctx.root, row.item_path), { force: true });
    if (item) await markItemsDeleted(ctx.db, [row.item_path], null);
    return;
  }
  if ('oid' in result) {
    // binary: the worker writes the chosen blob during the merge; only the local side is on disk already
    if (item) await ctx.db.query(`UPDATE workspace_items SET sync_status = 'pending' WHERE path = $1`, [row.item_path]);
    return;
  }
  await writeTextItem(ctx, row.item_path, result.text, item);
  await ctx.db.query(`UPDATE workspace_items SET conflict_id = $2 WHERE path = $1`, [row.item_path, row.id]);
}

/**
 * A twin conflict resolved: this node's name goes (its file removed, its item a deletion) and the kept text is
 * written under the remote's name; both items stay held by the conflict until the merge commit holds them. A
 * binary side is in Git already: the merge's checkout writes it.
 */
async function applyTwinLocally(ctx: WorkspaceContext, row: ConflictRow, result: Result): Promise<void> {
  rmSync(resolveWorkspaceFile(ctx.root, row.item_path), { force: true });
  await markItemsDeleted(ctx.db, [row.item_path], null);
  if (!('text' in result) || row.twin_path === null) return;
  await writeTextItem(ctx, row.twin_path, result.text, await itemRow(ctx.db, row.twin_path));
  await ctx.db.query(`UPDATE workspace_items SET conflict_id = $2, sync_status = 'conflict' WHERE path = $1`, [row.twin_path, row.id]);
}
