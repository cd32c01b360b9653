import type Database from 'better-sqlite3';
import { syncedTables, type SyncedTable } from '../../shared/domain/records';
import type { Shadows } from './shadow';
import { tableSpecs, type TableSpec } from './tables';
import type { ValidChange } from './remote-validate';

/** What the apply needs of a local row; `cols` holds the indexed data columns (see TableStatements.indexed). */
export interface LocalRow {
  vv: string;
  hlc: string;
  node_id: string;
  deleted: number;
  sync_status: string;
  created_at: string;
  [column: string]: unknown;
}

export interface TableStatements {
  spec: TableSpec;
  /** local rows of a page, one statement: `SELECT ... WHERE id IN (json_each(?))` */
  selectMany: Database.Statement;
  selectSync: Database.Statement;
  insert: Database.Statement;
  /** INSERT of INSERT_CHUNK rows at once (a statement per row cost more than SQLite's work for it) */
  insertChunk: Database.Statement;
  /** fast-forward UPDATEs by the set of unchanged indexed columns they leave out (see `overwrite`) */
  overwrites: Map<number, Database.Statement>;
  overwriteDeleted: Database.Statement;
  mergeVv: Database.Statement;
  placeholder: Database.Statement;
  placeholderValues: Array<string | number | null>;
  /** data columns in an index of this table (with deleted and sync_status: an UPDATE that sets one rewrites its index entries) */
  indexed: ReadonlySet<string>;
  /** position in spec.fields of createdAt */
  createdAtIndex: number;
}

/** Rows per multi-row INSERT: at most 16 parameters a row, well under SQLite's limit of 32,766. */
export const INSERT_CHUNK = 64;
export const SHADOW_PARAMS = 6;
/** Changes whose local rows are read with one statement (see PageWriter.readAhead). */
export const READ_WINDOW = 256;

/** A page's state of one table, by record id (the ids' own strings: no key is built per record). */
interface TablePage {
  readonly st: TableStatements;
  /** local rows as they stood when the page began */
  readonly prefetched: Map<string, LocalRow>;
  /** written (or given a placeholder) by this page: the prefetched state is stale */
  readonly written: Set<string>;
  /** rows known to exist: read, inserted or given a placeholder in this page */
  readonly existing: Set<string>;
  /** new rows waiting for their multi-row INSERT */
  readonly inserted: Set<string>;
  /** their parameters, row after row */
  args: Array<string | number | null>;
}

/**
 * One page's writes in one transaction. Local rows are read a window of changes at a time (one statement per
 * table); a record the page has already written is read again from the database. New rows and shadow states wait in buffers, in
 * the page's order, and go out as multi-row INSERTs: before anything reads them (the record again, a
 * conflict) and before a row that needs one as its parent; inserts go parents' tables first.
 */
export class PageWriter {
  private readonly tables = new Map<SyncedTable, TablePage>();
  private shadowArgs: Array<string | number | null> = [];
  private shadowCount = 0;

  /** changes before this index have had their local rows read */
  private readUpTo = 0;

  constructor(
    private readonly statements: Map<SyncedTable, TableStatements>,
    private readonly shadowChunk: Database.Statement,
    private readonly shadows: Shadows,
    private readonly changes: readonly ValidChange[],
  ) {}

  /**
   * Reads the local rows of the next window of changes (and of the parents they name), one statement per
   * table, when change `index` is the first one past the last window. Windows, not the whole page: a page of
   * scattered records read at once no longer fits SQLite's page cache, and each row's pages would be read twice.
   */
  readAhead(index: number): void {
    if (index < this.readUpTo) return;
    const end = Math.min(this.changes.length, index + READ_WINDOW);
    const ids = new Map<SyncedTable, Set<string>>();
    const want = (table: SyncedTable, id: string) => {
      let set = ids.get(table);
      if (!set) ids.set(table, (set = new Set()));
      set.add(id);
    };
    for (let i = index; i < end; i++) {
      const c = this.changes[i]!;
      want(c.spec.table, c.recordId);
      const parent = c.spec.parent;
      const parentId = parent && c.data ? c.data[parent.field] : undefined;
      if (parent && typeof parentId === 'string') want(parent.table, parentId);
    }
    for (const [table, set] of ids) {
      const page = this.of(table);
      for (const row of page.st.selectMany.all(JSON.stringify([...set])) as Array<LocalRow & { id: string }>) {
        page.prefetched.set(row.id, row);
        page.existing.add(row.id);
      }
    }
    this.readUpTo = end;
  }

  of(table: SyncedTable): TablePage {
    let page = this.tables.get(table);
    if (!page) {
      page = { st: this.statements.get(table)!, prefetched: new Map(), written: new Set(), existing: new Set(), inserted: new Set(), args: [] };
      this.tables.set(table, page);
    }
    return page;
  }

  /** The record's local row as it stands now. */
  local(c: ValidChange): LocalRow | undefined {
    const page = this.of(c.spec.table);
    if (!page.written.has(c.recordId)) return page.prefetched.get(c.recordId);
    if (page.inserted.has(c.recordId)) this.flush();
    return page.st.selectSync.get(c.recordId) as LocalRow | undefined;
  }

  written(table: SyncedTable, recordId: string): void {
    this.of(table).written.add(recordId);
  }

  /** A new row (its createdAt already resolved), written with the next multi-row INSERT of its table. */
  insert(st: TableStatements, c: ValidChange, now: string): void {
    const page = this.of(st.spec.table);
    const args = page.args;
    args.push(c.recordId);
    for (const col of c.cols!) args.push(col);
    args.push(c.hlc, c.nodeId, c.vvJson, now, c.updatedAt);
    page.inserted.add(c.recordId);
    page.existing.add(c.recordId);
    if (page.inserted.size >= INSERT_CHUNK && !this.hasParentInserts(st.spec)) this.flushTable(page);
  }

  /** the shadow moves to this state if it is newer (the upsert's WHERE, row after row, in page order) */
  shadow(c: ValidChange): void {
    this.shadowArgs.push(c.spec.table, c.recordId, c.dataJson, c.vvJson, c.hlc, c.deleted ? 1 : 0);
    if (++this.shadowCount === INSERT_CHUNK) this.flushShadows();
  }

  flushInserts(): void {
    for (const table of syncedTables) {
      const page = this.tables.get(table);
      if (page?.inserted.size) this.flushTable(page);
    }
  }

  flush(): void {
    this.flushInserts();
    this.flushShadows();
  }

  /** Rows of a parent table wait too: this table's must not go before them (foreign keys). */
  private hasParentInserts(spec: TableSpec): boolean {
    for (let parent = spec.parent; parent; parent = tableSpecs[parent.table].parent) {
      if (this.tables.get(parent.table)?.inserted.size) return true;
    }
    return false;
  }

  private flushTable(page: TablePage): void {
    const { st, args } = page;
    const width = args.length / page.inserted.size;
    const chunk = width * INSERT_CHUNK;
    let i = 0;
    for (; i + chunk <= args.length; i += chunk) st.insertChunk.run(i === 0 && chunk === args.length ? args : args.slice(i, i + chunk));
    for (; i < args.length; i += width) st.insert.run(args.slice(i, i + width));
    page.args = [];
    page.inserted.clear();
  }

  private flushShadows(): void {
    if (this.shadowCount === INSERT_CHUNK) this.shadowChunk.run(this.shadowArgs);
    else for (let i = 0; i < this.shadowArgs.length; i += SHADOW_PARAMS) this.shadows.upsertRow(this.shadowArgs.slice(i, i + SHADOW_PARAMS));
    this.shadowArgs = [];
    this.shadowCount = 0;
  }
}
