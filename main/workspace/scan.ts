import { randomUUID } from 'node:crypto';
import { createTwinFinder, pathTwinMessage, showPath } from '../../shared/domain/workspace';
import type { WorkspaceContext } from './context';
import { takeAsConflictLocal } from './conflict-rows';
import { itemTypeOf, listFiles, readWorkspaceFile, type FileContent, type FileFacts } from './files';
import { deleteItemsByPath, logSync, markItemsDeleted, upsertItems, type Db, type ItemRow, type ItemUpsert } from './store';

type KnownItem = Pick<ItemRow, 'id' | 'path' | 'content_oid' | 'committed_oid' | 'deleted' | 'file_mtime_ms' | 'file_size' | 'conflict_id' | 'sync_status'>;

/**
 * Takes edits made to the working tree by other programs into PGlite (never overwriting them): files whose size
 * or mtime differ from what was recorded are read and compared by content hash; new files become items, vanished
 * files become deletions. Twins of an item are left out, and said once.
 */
export class FileScanner {
  /** files the last scan left out because they are twins of an item, or of each other: path → why */
  private keptOut = new Map<string, string>();

  constructor(private readonly ctx: WorkspaceContext) {}

  /** Why files are left out of the workspace, while they are: the status shows it until a person acts. */
  keptOutNotes(): string[] {
    return [...this.keptOut.values()];
  }

  /** The paths whose items changed. */
  async scan(): Promise<string[]> {
    const { root, db } = this.ctx;
    const changed = await this.ctx.mutex.run(async () => {
      const files = await listFiles(root);
      const known = await db.query<KnownItem>(
        `SELECT id, path, content_oid, committed_oid, deleted, file_mtime_ms, file_size, conflict_id, sync_status FROM workspace_items`,
      );
      const byPath = new Map(known.rows.map((r) => [r.path, r]));
      const keptOut = keepOutTwins(
        files.map((f) => f.path),
        (path) => byPath.get(path)?.deleted === false,
      );
      await this.noteKeptOut(keptOut);
      const upserts: ItemUpsert[] = [];
      const facts: { path: string; file_mtime_ms: number; file_size: number }[] = [];
      const seen = new Set<string>();
      for (const file of files) {
        seen.add(file.path);
        if (keptOut.has(file.path)) continue;
        const row = byPath.get(file.path);
        if (row && !row.deleted && row.file_mtime_ms === file.mtimeMs && Number(row.file_size) === file.size) continue;
        const content = await readWorkspaceFile(root, file.path);
        if (!content) continue;
        if (row && !row.deleted && row.content_oid === content.oid) {
          facts.push({ path: file.path, file_mtime_ms: content.mtimeMs, file_size: content.size });
          continue;
        }
        upserts.push(await externalEdit(db, content, row ?? null));
      }
      const vanished = known.rows.filter((r) => !r.deleted && !seen.has(r.path));
      await db.transaction(async (tx) => {
        await upsertItems(tx, upserts);
        if (facts.length > 0) {
          await tx.query(
            `UPDATE workspace_items i SET file_mtime_ms = x.file_mtime_ms, file_size = x.file_size
             FROM jsonb_to_recordset($1::jsonb) AS x(path text, file_mtime_ms double precision, file_size bigint) WHERE i.path = x.path`,
            [JSON.stringify(facts)],
          );
        }
        await deleteItemsByPath(tx, vanished.filter((r) => r.committed_oid === null).map((r) => r.path));
        await markItemsDeleted(tx, vanished.filter((r) => r.committed_oid !== null).map((r) => r.path), 'external edit', true);
      });
      return [...upserts.map((u) => u.path), ...vanished.map((v) => v.path)];
    });
    if (changed.length > 0) {
      this.ctx.log.info('workspace: took in external edits', { count: changed.length });
      this.ctx.signals.changed(changed);
    }
    return changed;
  }

  /** Says once (log and sync log) what a scan newly left out. */
  private async noteKeptOut(keptOut: Map<string, string>): Promise<void> {
    for (const [path, message] of keptOut) {
      if (this.keptOut.has(path)) continue;
      this.ctx.log.warn('workspace: a twin file is not taken in', { path, message });
      await logSync(this.ctx.db, { operation: 'scan', status: 'error', path, error: message });
    }
    this.keptOut = keptOut;
  }
}

/** Records a file's current content as an external edit of its item, before a save to it (call under the mutex). */
export async function takeInFile(db: Db, file: FileContent & FileFacts, row: ItemRow | null): Promise<void> {
  await upsertItems(db, [await externalEdit(db, file, row)]);
}

/**
 * The item a file's current content becomes when another program edited it (a scan, or a save finding it first).
 * An item in a pending text conflict takes it as the conflict's local side too.
 */
async function externalEdit(db: Db, file: FileContent & FileFacts, row: Pick<ItemRow, 'id' | 'committed_oid' | 'conflict_id'> | null): Promise<ItemUpsert> {
  if (row?.conflict_id && file.text !== null) await takeAsConflictLocal(db, row.conflict_id, file.text);
  return {
    id: row?.id ?? randomUUID(),
    path: file.path,
    type: itemTypeOf(file.path),
    content: file.text ?? '',
    is_binary: file.text === null,
    size: file.size,
    content_oid: file.oid,
    committed_oid: row?.committed_oid ?? null,
    modified_by: 'external edit',
    sync_status: row?.conflict_id ? 'conflict' : file.oid === row?.committed_oid ? 'committed' : 'pending',
    file_mtime_ms: file.mtimeMs,
    file_size: file.size,
  };
}

/**
 * Which files a scan takes in: every file of a live item, then the new files in path order, each unless it is a
 * twin of one taken before (an item, or a new file earlier in order). A twin is left where it is, untouched and
 * not an item (so never committed, which the hub would refuse on every push), with the reason.
 */
function keepOutTwins(files: readonly string[], isItem: (path: string) => boolean): Map<string, string> {
  const add = createTwinFinder();
  const fresh: string[] = [];
  for (const path of files) {
    if (isItem(path)) add(path);
    else fresh.push(path);
  }
  const kept = new Map<string, string>();
  for (const path of fresh.sort()) {
    const twin = add(path);
    if (twin) kept.set(path, `${pathTwinMessage(twin)}. ${showPath(path)} is not taken into the workspace (its file is left as it is): rename or remove one of them.`);
  }
  return kept;
}
