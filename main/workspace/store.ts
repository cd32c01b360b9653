import { PGlite, type Transaction } from '@electric-sql/pglite';
import { openPGlite } from '../../lib/pglite';
import { portableKey } from '../../shared/domain/workspace';

/**
 * The workspace tables in PGlite. Every statement is parameterized; bulk writes go through one
 * `jsonb_to_recordset` statement per batch (PGlite is about 14x slower row by row: MEASURED-FACTS).
 * PGlite runs with fsync off: a power loss can lose the last writes (the files and Git still hold them, and
 * the scan at the next commit takes them back in).
 */
export type Db = PGlite | Transaction;

const SCHEMA_VERSION = 2;

const schema = `
CREATE TABLE IF NOT EXISTS workspace_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS workspace_items (
  id text PRIMARY KEY,
  path text NOT NULL UNIQUE,
  type text NOT NULL,
  content text NOT NULL DEFAULT '',
  is_binary boolean NOT NULL DEFAULT false,
  size integer NOT NULL DEFAULT 0,
  content_oid text NOT NULL,
  committed_oid text,
  version integer NOT NULL DEFAULT 1,
  modified_at timestamptz NOT NULL DEFAULT now(),
  modified_by text NOT NULL,
  sync_status text NOT NULL DEFAULT 'pending' CHECK (sync_status IN ('pending', 'committed', 'synced', 'conflict')),
  conflict_id text,
  deleted boolean NOT NULL DEFAULT false,
  file_mtime_ms double precision,
  file_size bigint
);
CREATE INDEX IF NOT EXISTS idx_workspace_items_type ON workspace_items(type);
CREATE INDEX IF NOT EXISTS idx_workspace_items_sync_status ON workspace_items(sync_status);
CREATE TABLE IF NOT EXISTS workspace_conflicts (
  id text PRIMARY KEY,
  item_path text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('modify-modify', 'modify-delete', 'binary')),
  base_oid text, local_oid text, remote_oid text,
  base_content text, local_content text, remote_content text,
  local_commit text, remote_commit text,
  resolved_content text, resolved_oid text, resolved_deleted boolean NOT NULL DEFAULT false,
  resolution_strategy text, resolved_at timestamptz, resolved_by text,
  merge_commit text,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'resolved', 'escalated', 'superseded')),
  detected_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE workspace_conflicts ADD COLUMN IF NOT EXISTS carried_into text;
ALTER TABLE workspace_conflicts ADD COLUMN IF NOT EXISTS released_in text;
CREATE INDEX IF NOT EXISTS idx_workspace_conflicts_status ON workspace_conflicts(status);
CREATE UNIQUE INDEX IF NOT EXISTS idx_workspace_conflicts_open_path ON workspace_conflicts(item_path) WHERE status = 'pending';
CREATE TABLE IF NOT EXISTS workspace_sync_log (
  id bigserial PRIMARY KEY,
  operation text NOT NULL,
  item_path text,
  commit_hash text,
  status text NOT NULL,
  detail text,
  error_message text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_workspace_sync_log_created ON workspace_sync_log(created_at);
`;

/**
 * Version 2: an item's `path_key` (portableKey of its path, shared/domain/workspace.ts: the name Windows and
 * macOS check it out as), compared bytewise, so a twin is found by an index range instead of a scan; filled for
 * existing rows when the store opens. Twin conflicts: kind 'twin', and `twin_path`, the remote's path the local
 * one collides with.
 */
const schemaV2 = `
ALTER TABLE workspace_items ADD COLUMN IF NOT EXISTS path_key text COLLATE "C";
CREATE INDEX IF NOT EXISTS idx_workspace_items_path_key ON workspace_items(path_key);
ALTER TABLE workspace_conflicts ADD COLUMN IF NOT EXISTS twin_path text;
ALTER TABLE workspace_conflicts DROP CONSTRAINT IF EXISTS workspace_conflicts_kind_check;
ALTER TABLE workspace_conflicts ADD CONSTRAINT workspace_conflicts_kind_check CHECK (kind IN ('modify-modify', 'modify-delete', 'binary', 'twin'));
`;

export async function openStore(dir: string): Promise<PGlite> {
  const db = await openPGlite(dir); // from the build's template when new: no initdb
  await db.exec(schema);
  const meta = await db.query<{ value: string }>(`SELECT value FROM workspace_meta WHERE key = 'schema_version'`);
  const version = Number(meta.rows[0]?.value ?? 0);
  if (version < 2) {
    await db.exec(schemaV2);
    await fillPathKeys(db);
  }
  await db.query(
    `INSERT INTO workspace_meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    [String(SCHEMA_VERSION)],
  );
  return db;
}

async function fillPathKeys(db: PGlite): Promise<void> {
  for (;;) {
    const rows = await db.query<{ path: string }>(`SELECT path FROM workspace_items WHERE path_key IS NULL LIMIT ${BATCH}`);
    if (rows.rows.length === 0) return;
    await db.query(
      `UPDATE workspace_items i SET path_key = x.path_key FROM jsonb_to_recordset($1::jsonb) AS x(path text, path_key text) WHERE i.path = x.path`,
      [JSON.stringify(rows.rows.map((r) => ({ path: r.path, path_key: portableKey(r.path) })))],
    );
  }
}

export interface ItemRow {
  id: string;
  path: string;
  type: string;
  content: string;
  is_binary: boolean;
  size: number;
  content_oid: string;
  committed_oid: string | null;
  version: number;
  modified_at: Date;
  modified_by: string;
  sync_status: 'pending' | 'committed' | 'synced' | 'conflict';
  conflict_id: string | null;
  deleted: boolean;
  file_mtime_ms: number | null;
  file_size: number | null;
}

export interface ConflictRow {
  id: string;
  item_path: string;
  kind: 'modify-modify' | 'modify-delete' | 'binary' | 'twin';
  /**
   * A twin conflict (the local path and a remote one differ only in letter case or Unicode normalization): the
   * remote's path the kept text is saved under, the local path going; null when the remote holds a folder there
   * (or a file where a folder would be), so only the remote's side can be kept.
   */
  twin_path: string | null;
  base_oid: string | null;
  local_oid: string | null;
  remote_oid: string | null;
  base_content: string | null;
  local_content: string | null;
  remote_content: string | null;
  local_commit: string | null;
  remote_commit: string | null;
  resolved_content: string | null;
  resolved_oid: string | null;
  resolved_deleted: boolean;
  resolution_strategy: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  merge_commit: string | null;
  /**
   * A resolution the remote moved past before it was merged: the id of the conflict it became the local side of.
   * The row stays 'resolved' (a person's decision, and the sides it chose between, stay on record) but is no
   * longer merged as a resolution itself.
   */
  carried_into: string | null;
  /**
   * A resolution a sync went past without a conflict at its path (the remote came to this node's side, or went back
   * to the base) and without merging it: the head of that sync. Its items were let go then, so the next commit
   * commits what they hold (the resolution, or a save since) as a plain change; it is no longer sent to merges.
   */
  released_in: string | null;
  status: 'pending' | 'resolved' | 'escalated' | 'superseded';
  detected_at: Date;
}

/** One row for a bulk upsert of items (saves, scan results, files a merge changed): the store sets the rest. */
export type ItemUpsert = Omit<ItemRow, 'version' | 'modified_at' | 'conflict_id' | 'deleted'>;

const ITEM_COLUMNS = `id, path, type, content, is_binary, size, content_oid, committed_oid, version, modified_at, modified_by,
  sync_status, conflict_id, deleted, file_mtime_ms, file_size`;

export async function itemRow(db: Db, path: string): Promise<ItemRow | null> {
  const res = await db.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM workspace_items WHERE path = $1`, [path]);
  return res.rows[0] ?? null;
}

/** A page of live items under a path prefix, in path order, with how many there are in all. */
export async function itemRows(db: Db, input: { prefix: string; offset: number; limit: number }): Promise<{ rows: ItemRow[]; total: number }> {
  const rows = await db.query<ItemRow & { total: number }>(
    `SELECT ${ITEM_COLUMNS}, count(*) OVER () AS total FROM workspace_items
     WHERE NOT deleted AND starts_with(path, $1) ORDER BY path LIMIT $2 OFFSET $3`,
    [input.prefix, input.limit, input.offset],
  );
  let total = Number(rows.rows[0]?.total ?? 0);
  if (rows.rows.length === 0 && input.offset > 0) {
    const c = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM workspace_items WHERE NOT deleted AND starts_with(path, $1)`, [input.prefix]);
    total = c.rows[0]?.n ?? 0;
  }
  return { rows: rows.rows, total };
}

const BATCH = 1000;

/**
 * Inserts or updates items by path in batches. An existing item keeps its id; its version goes up only when
 * its content changed. Every row gets its path's portableKey.
 */
export async function upsertItems(db: Db, rows: ItemUpsert[]): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH).map((r) => ({ ...r, path_key: portableKey(r.path) }));
    await db.query(
      `INSERT INTO workspace_items
         (id, path, path_key, type, content, is_binary, size, content_oid, committed_oid, modified_by, sync_status, file_mtime_ms, file_size)
       SELECT id, path, path_key, type, content, is_binary, size, content_oid, committed_oid, modified_by, sync_status, file_mtime_ms, file_size
       FROM jsonb_to_recordset($1::jsonb) AS x(
         id text, path text, path_key text, type text, content text, is_binary boolean, size integer, content_oid text,
         committed_oid text, modified_by text, sync_status text, file_mtime_ms double precision, file_size bigint)
       ON CONFLICT (path) DO UPDATE SET
         type = excluded.type,
         content = excluded.content,
         is_binary = excluded.is_binary,
         size = excluded.size,
         version = workspace_items.version + CASE WHEN workspace_items.content_oid = excluded.content_oid AND NOT workspace_items.deleted THEN 0 ELSE 1 END,
         modified_at = CASE WHEN workspace_items.content_oid = excluded.content_oid AND NOT workspace_items.deleted THEN workspace_items.modified_at ELSE now() END,
         modified_by = CASE WHEN workspace_items.content_oid = excluded.content_oid AND NOT workspace_items.deleted THEN workspace_items.modified_by ELSE excluded.modified_by END,
         content_oid = excluded.content_oid,
         committed_oid = excluded.committed_oid,
         sync_status = excluded.sync_status,
         deleted = false,
         file_mtime_ms = excluded.file_mtime_ms,
         file_size = excluded.file_size`,
      [JSON.stringify(batch)],
    );
  }
}

export async function deleteItemsByPath(db: Db, paths: string[]): Promise<void> {
  for (let i = 0; i < paths.length; i += BATCH) {
    await db.query(`DELETE FROM workspace_items WHERE path = ANY($1::text[])`, [paths.slice(i, i + BATCH)]);
  }
}

/**
 * Marks items deleted (their files are gone): a new version without file facts, pending its commit. `by` is who
 * deleted them (null: the last modifier stays); `keepConflicted` leaves the status of an item a conflict holds.
 */
export async function markItemsDeleted(db: Db, paths: string[], by: string | null, keepConflicted = false): Promise<void> {
  if (paths.length === 0) return;
  await db.query(
    `UPDATE workspace_items SET deleted = true, sync_status = CASE WHEN $3 AND conflict_id IS NOT NULL THEN sync_status ELSE 'pending' END,
       version = version + 1, modified_at = now(), modified_by = COALESCE($2, modified_by), file_mtime_ms = NULL, file_size = NULL
     WHERE path = ANY($1::text[])`,
    [paths, by, keepConflicted],
  );
}

export async function logSync(
  db: Db,
  entry: { operation: string; status: string; commit?: string | null; path?: string | null; detail?: string | null; error?: string | null },
): Promise<void> {
  await db.query(
    `INSERT INTO workspace_sync_log (operation, item_path, commit_hash, status, detail, error_message) VALUES ($1, $2, $3, $4, $5, $6)`,
    [entry.operation, entry.path ?? null, entry.commit ?? null, entry.status, entry.detail ?? null, entry.error ?? null],
  );
}
