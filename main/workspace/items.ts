import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { OutpostError, notFound } from '../../shared/errors';
import type { Page } from '../../shared/domain/records';
import { findPathTwin, pathTwinMessage, portableKey, showPath, type PathTwin } from '../../shared/domain/workspace';
import type { WorkspaceItem, WorkspaceItemSummary } from '../../shared/domain/workspace';
import { resolveWorkspaceFile } from '../../lib/workspace-files';
import type { WorkspaceContext } from './context';
import { takeAsConflictLocal } from './conflict-rows';
import { itemTypeOf, readWorkspaceFile, writeItemFile, type FileFacts } from './files';
import { textOid } from '../../lib/git-blob';
import { takeInFile } from './scan';
import { deleteItemsByPath, itemRow, itemRows, markItemsDeleted, upsertItems, type Db, type ItemRow, type ItemUpsert } from './store';

/**
 * The items as the workspace.* API reads and writes them: each a row in PGlite and a file in the working tree,
 * written together under the mutex. A save or a deletion is pending until a commit takes it.
 */
export class WorkspaceItems {
  constructor(private readonly ctx: WorkspaceContext) {}

  async list(input: { prefix?: string; offset: number; limit: number }): Promise<Page<WorkspaceItemSummary>> {
    const { rows, total } = await itemRows(this.ctx.db, { prefix: input.prefix ?? '', offset: input.offset, limit: input.limit });
    return {
      items: rows.map((r) => {
        const { content: _content, ...rest } = toItem(r);
        return { ...rest, size: r.size };
      }),
      total,
      offset: input.offset,
      limit: input.limit,
    };
  }

  async get(path: string): Promise<WorkspaceItem> {
    const row = await itemRow(this.ctx.db, path);
    if (!row || row.deleted) throw notFound('Workspace item', path);
    return toItem(row);
  }

  async save(input: { path: string; content: string; expectedVersion?: number }, by: string): Promise<WorkspaceItem> {
    const { root, db } = this.ctx;
    const item = await this.ctx.mutex.run(async () => {
      resolveWorkspaceFile(root, input.path); // refuses escaping paths before anything is read or written
      await refuseTwin(db, input.path);
      const onDisk = await readWorkspaceFile(root, input.path);
      let existing = await itemRow(db, input.path);
      if (onDisk && onDisk.oid !== (existing && !existing.deleted ? existing.content_oid : null)) {
        // another program changed the file and the watcher has not taken it in yet: take it in first, so a
        // save made against the previous version is refused instead of silently overwriting that edit
        await takeInFile(db, onDisk, existing);
        existing = await itemRow(db, input.path);
      }
      const live = existing && !existing.deleted ? existing : null;
      if (input.expectedVersion !== undefined && (live?.version ?? 0) !== input.expectedVersion) {
        throw new OutpostError(
          'version_conflict',
          live
            ? `${input.path} is at version ${live.version}, not ${input.expectedVersion}: reload it and apply your edit again.`
            : `${input.path} does not exist (expected version ${input.expectedVersion}).`,
          { currentVersion: live?.version ?? null },
        );
      }
      const oid = textOid(input.content);
      const facts = onDisk?.oid === oid ? onDisk : writeItemFile(root, input.path, input.content);
      const status: ItemRow['sync_status'] = live?.conflict_id ? 'conflict' : oid === live?.committed_oid ? live.sync_status : 'pending';
      // in conflict, the save is what "keep this node's side" keeps: else resolving would drop an acknowledged write
      if (live?.conflict_id) await takeAsConflictLocal(db, live.conflict_id, input.content);
      await upsertItems(db, [textItemUpsert(input.path, input.content, existing, by, status, facts)]);
      return this.get(input.path);
    });
    this.ctx.signals.changed([input.path]);
    return item;
  }

  async delete(path: string): Promise<{ path: string; deleted: true }> {
    const { root, db } = this.ctx;
    await this.ctx.mutex.run(async () => {
      const target = resolveWorkspaceFile(root, path);
      const row = await itemRow(db, path);
      if (!row || row.deleted) throw notFound('Workspace item', path);
      if (row.conflict_id) {
        throw new OutpostError('conflict', `${path} has an unresolved conflict (w:${row.conflict_id}): resolve it first (choosing a deletion is one of the choices).`);
      }
      rmSync(target, { force: true });
      if (row.committed_oid === null) await deleteItemsByPath(db, [path]);
      else await markItemsDeleted(db, [path], this.ctx.nodeName);
    });
    this.ctx.signals.changed([path]);
    return { path, deleted: true };
  }
}

/** A resolution's text written as the item's file, pending its commit (its committed oid kept). Call under the mutex. */
export async function writeTextItem(ctx: WorkspaceContext, path: string, text: string, existing: Pick<ItemRow, 'id' | 'committed_oid'> | null): Promise<void> {
  const facts = writeItemFile(ctx.root, path, text);
  await upsertItems(ctx.db, [textItemUpsert(path, text, existing, ctx.nodeName, 'pending', facts)]);
}

/** The row of an item holding text this node wrote (a save, a resolution), with its file's facts as written. */
function textItemUpsert(
  path: string,
  text: string,
  existing: Pick<ItemRow, 'id' | 'committed_oid'> | null,
  by: string,
  status: ItemRow['sync_status'],
  file: Pick<FileFacts, 'mtimeMs' | 'size'>,
): ItemUpsert {
  return {
    id: existing?.id ?? randomUUID(),
    path,
    type: itemTypeOf(path),
    content: text,
    is_binary: false,
    size: Buffer.byteLength(text),
    content_oid: textOid(text),
    committed_oid: existing?.committed_oid ?? null,
    modified_by: by,
    sync_status: status,
    file_mtime_ms: file.mtimeMs,
    file_size: file.size,
  };
}

function toItem(r: ItemRow): WorkspaceItem {
  return {
    id: r.id,
    path: r.path,
    type: r.type,
    content: r.content,
    version: r.version,
    modifiedAt: new Date(r.modified_at).toISOString(),
    modifiedBy: r.modified_by,
    syncStatus: r.sync_status,
    conflictId: r.conflict_id ? `w:${r.conflict_id}` : null,
  };
}

/**
 * Twins are one file (or folder) on Windows and macOS: a path with an entry that an item spells otherwise under
 * one portableKey (shared/domain/workspace.ts) is refused, files and folders alike (`Docs/a.md` against
 * `docs/b.md`, `readme` against `README/x.md`).
 */
async function refuseTwin(db: Db, path: string): Promise<void> {
  const twin = await twinOfItem(db, path);
  if (twin) throw new OutpostError('invalid_input', `${pathTwinMessage(twin)}. ${showPath(path)} is not saved: use another name.`);
}

/**
 * The first twin (shared/domain/workspace.ts findPathTwin) of `path` among the live items, or null. For each entry
 * of the path (its folders, shallowest first, then itself), an index range over path_key (bytewise) finds an item
 * holding an entry of that key spelled otherwise; the shared rule then names the pair. An entry's key is the key's
 * prefix (portableKey keeps segments: checked over every code point), so the range is exact; it costs the items
 * under that key, not the workspace.
 */
async function twinOfItem(db: Db, path: string): Promise<PathTwin | null> {
  const segments = path.split('/');
  for (let i = 0; i < segments.length; i++) {
    const spelled = segments.slice(0, i + 1).join('/');
    const key = portableKey(spelled);
    const res = await db.query<{ path: string }>(
      `SELECT path FROM workspace_items
       WHERE path_key >= $1 AND path_key < $2 AND (path_key = $1 OR starts_with(path_key, $1 || '/'))
         AND NOT deleted AND path <> $3 AND NOT starts_with(path, $3 || '/')
       LIMIT 10`,
      [key, `${key}0`, spelled], // '0' follows '/': [key, key0) holds key and everything under key/
    );
    for (const row of res.rows) {
      const twin = findPathTwin([row.path, path]);
      if (twin) return twin;
    }
  }
  return null;
}
