import type { FileInfo, FileState, FileStats } from '../../shared/domain/files';
import { fileStates } from '../../shared/domain/files';
import type { Page } from '../../shared/domain/records';
import type { FileRef } from '../../shared/files/refs';
import { OutpostError } from '../../shared/errors';
import { syncedTables } from '../../shared/tables/index';
import { nowIso, paging, type StoreCore } from './core';
import { tableSpecs } from './tables';

type Row = Record<string, unknown>;

/** Every (table, column) whose values are file references, from the declarations (`fileRefs()` fields). */
const fileColumns = syncedTables.flatMap((t) => tableSpecs[t].fields.filter((f) => f.files).map((f) => ({ table: t, column: f.column, spec: tableSpecs[t] })));

/**
 * The references of live records, one row per (record, file): the hash, the reference itself (name, size, media
 * type) and the queue priority its record's changes go at (`critical` gives 10). SQL from the declarations only.
 */
const referencesSql = fileColumns
  .map(({ table, column, spec }) => {
    const priority = spec.fields.some((f) => f.field === 'status') ? `CASE WHEN t.status = 'critical' THEN 10 ELSE ${spec.defaultPriority} END` : String(spec.defaultPriority);
    return `SELECT j.value ->> '$.hash' AS hash, j.value AS ref, ${priority} AS priority FROM ${table} t, json_each(t.${column}) j WHERE t.deleted = 0 AND t.${column} IS NOT NULL`;
  })
  .join(' UNION ALL ');

export interface ReferencedFile {
  ref: FileRef;
  references: number;
  priority: number;
}

/**
 * The node's file metadata (`files`, migration 6): what is stored here and how, its sync state and progress. A
 * file's reference count is counted from the records' file fields when asked, never stored.
 */
export class FileRecords {
  constructor(private readonly core: StoreCore) {}

  /** Every file live records refer to, with its count and the highest priority among its records. */
  referenced(): Map<string, ReferencedFile> {
    const out = new Map<string, ReferencedFile>();
    if (!referencesSql) return out;
    for (const r of this.core.stmt(referencesSql).all() as Array<{ hash: string; ref: string; priority: number }>) {
      const seen = out.get(r.hash);
      if (seen) {
        seen.references++;
        seen.priority = Math.max(seen.priority, r.priority);
      } else out.set(r.hash, { ref: JSON.parse(r.ref) as FileRef, references: 1, priority: r.priority });
    }
    return out;
  }

  get(hash: string): FileInfo | null {
    const row = this.core.stmt(`SELECT * FROM files WHERE hash = ?`).get(hash) as Row | undefined;
    return row ? toInfo(row, this.references(hash)) : null;
  }

  /**
   * Files named by a record but unknown here become `remote-only` rows (their bytes are on the hub, or will be
   * once their node uploads them). Returns how many were added.
   */
  discover(): number {
    const insert = this.core.stmt(
      `INSERT INTO files (hash, size, name, media_type, state, created_at) VALUES (?, ?, ?, ?, 'remote-only', ?) ON CONFLICT (hash) DO NOTHING`,
    );
    let added = 0;
    const now = nowIso();
    this.core.write(() => {
      for (const [hash, { ref }] of this.referenced()) added += insert.run(hash, ref.size, ref.name, ref.mediaType, now).changes;
    });
    return added;
  }

  /** The bytes are here now (a put, or a download finished): `local` unless the hub already has them. */
  stored(input: { hash: string; size: number; name: string; mediaType: string; storedSize: number; compressed: boolean; onHub: boolean }): FileInfo {
    const now = nowIso();
    this.core.write(() =>
      this.core
        .stmt(
          `INSERT INTO files (hash, size, name, media_type, state, stored_size, compressed, created_at, last_access, transferred, error)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL)
           ON CONFLICT (hash) DO UPDATE SET stored_size = excluded.stored_size, compressed = excluded.compressed, last_access = excluded.last_access,
             error = NULL, transferred = 0,
             state = CASE WHEN files.state IN ('synced', 'remote-only', 'downloading') OR excluded.state = 'synced' THEN 'synced'
                          WHEN files.state = 'uploading' THEN 'uploading' ELSE 'local' END`,
        )
        .run(input.hash, input.size, input.name, input.mediaType, input.onHub ? 'synced' : 'local', input.storedSize, input.compressed ? 1 : 0, now, now),
    );
    return this.get(input.hash)!;
  }

  setState(hash: string, state: FileState, details: { error?: string | null; transferred?: number } = {}): void {
    this.core.write(() =>
      this.core
        .stmt(`UPDATE files SET state = ?, error = ?, transferred = ? WHERE hash = ?`)
        .run(state, details.error ?? null, details.transferred ?? 0, hash),
    );
  }

  /** Progress of a transfer under way (no change notification: progress is reported as events). */
  progress(hash: string, transferred: number): void {
    this.core.stmt(`UPDATE files SET transferred = ? WHERE hash = ?`).run(transferred, hash);
  }

  touch(hash: string): void {
    this.core.stmt(`UPDATE files SET last_access = ? WHERE hash = ?`).run(nowIso(), hash);
  }

  pin(hash: string, pinned: boolean): FileInfo {
    const changed = this.core.write(() => this.core.stmt(`UPDATE files SET pinned = ? WHERE hash = ?`).run(pinned ? 1 : 0, hash).changes);
    if (changed === 0) throw notFound(hash);
    return this.get(hash)!;
  }

  /** The bytes are gone from here (evicted or deleted): a file the hub holds stays known as remote-only. */
  removedHere(hash: string, keepRow: boolean): void {
    this.core.write(() => {
      if (keepRow) this.core.stmt(`UPDATE files SET stored_size = NULL, compressed = 0, state = 'remote-only', transferred = 0 WHERE hash = ?`).run(hash);
      else this.core.stmt(`DELETE FROM files WHERE hash = ?`).run(hash);
    });
  }

  list(query: { state?: FileState; offset?: number; limit?: number }): Page<FileInfo> {
    const { offset, limit } = paging(query.offset, query.limit);
    const where = query.state === undefined ? '' : 'WHERE state = ?';
    const params = query.state === undefined ? [] : [query.state];
    const rows = this.core.stmt(`SELECT * FROM files ${where} ORDER BY created_at DESC, hash LIMIT ? OFFSET ?`).all(...params, limit, offset) as Row[];
    const total = (this.core.stmt(`SELECT count(*) AS n FROM files ${where}`).get(...params) as { n: number }).n;
    const refs = this.referenced();
    return { items: rows.map((r) => toInfo(r, refs.get(r.hash as string)?.references ?? 0)), total, offset, limit };
  }

  /** Files to upload, highest priority first: here, referenced or pinned, not yet on the hub. */
  toUpload(): Array<FileInfo & { priority: number }> {
    const refs = this.referenced();
    const rows = this.core.stmt(`SELECT * FROM files WHERE stored_size IS NOT NULL AND state IN ('local', 'uploading', 'failed')`).all() as Row[];
    return rows
      .filter((r) => refs.has(r.hash as string) || r.pinned === 1)
      .map((r) => ({ ...toInfo(r, refs.get(r.hash as string)?.references ?? 0), priority: refs.get(r.hash as string)?.priority ?? 5 }))
      .sort((a, b) => b.priority - a.priority || a.createdAt.localeCompare(b.createdAt));
  }

  stats(cacheCapBytes: number): FileStats {
    const byState = Object.fromEntries(fileStates.map((s) => [s, { count: 0, bytes: 0 }])) as FileStats['byState'];
    for (const r of this.core.stmt(`SELECT state, count(*) AS n, coalesce(sum(size), 0) AS bytes FROM files GROUP BY state`).all() as Array<{ state: FileState; n: number; bytes: number }>) {
      byState[r.state] = { count: r.n, bytes: r.bytes };
    }
    const totals = this.core
      .stmt(
        `SELECT coalesce(sum(stored_size), 0) AS stored,
                coalesce(sum(CASE WHEN state = 'synced' AND pinned = 0 THEN stored_size ELSE 0 END), 0) AS cache FROM files`,
      )
      .get() as { stored: number; cache: number };
    const refs = this.referenced();
    const all = (this.core.stmt(`SELECT hash FROM files`).all() as Array<{ hash: string }>).map((r) => r.hash);
    const referenced = all.filter((h) => refs.has(h)).length;
    return { byState, storedBytes: totals.stored, cacheBytes: totals.cache, cacheCapBytes, referenced, unreferenced: all.length - referenced };
  }

  /**
   * The collector's pass: files no record refers to get `unreferenced_since` (cleared for those referred to
   * again); returns those unreferenced for longer than `graceMs` and not pinned, which the caller removes.
   */
  unreferencedPastGrace(graceMs: number, nowMs = Date.now()): string[] {
    const refs = this.referenced();
    const rows = this.core.stmt(`SELECT hash, pinned, unreferenced_since FROM files`).all() as Array<{ hash: string; pinned: number; unreferenced_since: string | null }>;
    const now = new Date(nowMs).toISOString();
    const due: string[] = [];
    this.core.write(() => {
      const mark = this.core.stmt(`UPDATE files SET unreferenced_since = ? WHERE hash = ?`);
      for (const r of rows) {
        const referenced = refs.has(r.hash);
        if (referenced && r.unreferenced_since !== null) mark.run(null, r.hash);
        else if (!referenced && r.unreferenced_since === null) mark.run(now, r.hash);
        else if (!referenced && r.pinned === 0 && nowMs - Date.parse(r.unreferenced_since!) >= graceMs) due.push(r.hash);
      }
    });
    return due;
  }

  /** Evictable downloaded copies, least recently used first: synced, unpinned, here. */
  evictable(): Array<{ hash: string; storedSize: number }> {
    return (
      this.core
        .stmt(`SELECT hash, stored_size AS s FROM files WHERE state = 'synced' AND pinned = 0 AND stored_size IS NOT NULL ORDER BY coalesce(last_access, created_at), hash`)
        .all() as Array<{ hash: string; s: number }>
    ).map((r) => ({ hash: r.hash, storedSize: r.s }));
  }

  /** Live records naming this file. */
  references(hash: string): number {
    if (!referencesSql) return 0;
    return (this.core.stmt(`SELECT count(*) AS n FROM (${referencesSql}) WHERE hash = ?`).get(hash) as { n: number }).n;
  }
}

export function notFound(hash: string): OutpostError {
  return new OutpostError('not_found', `No file ${hash} is known on this node.`);
}

function toInfo(r: Row, references: number): FileInfo {
  return {
    hash: r.hash as FileInfo['hash'],
    size: r.size as number,
    name: r.name as string,
    mediaType: r.media_type as string,
    state: r.state as FileState,
    error: (r.error as string | null) ?? null,
    here: r.stored_size !== null,
    storedSize: (r.stored_size as number | null) ?? null,
    compressed: r.compressed === 1,
    transferred: r.transferred as number,
    pinned: r.pinned === 1,
    references,
    createdAt: r.created_at as string,
    lastAccess: (r.last_access as string | null) ?? null,
    unreferencedSince: (r.unreferenced_since as string | null) ?? null,
  };
}
