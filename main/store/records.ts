import { randomUUID } from 'node:crypto';
import type { JsonObject, Page, SyncedTable, VersionVector } from '../../shared/domain/records';
import { OutpostError } from '../../shared/errors';
import { incrementVv } from '../../shared/sync/version-vector';
import { nowIso, paging, type StoreCore } from './core';
import type { SyncQueue } from './queue';
import type Database from 'better-sqlite3';
import { checkId, checkPatch, dataColumns, fieldOf, fromColumn, parseData, rowData, tableSpecs, toColumn, type FieldSpec, type TableSpec } from './tables';
import { derivedAlias, derivedColumnsSql } from './derived';
import { moveFields, moveInputFields } from './lifecycle';

type Row = Record<string, unknown>;

/** A row as the API shows it: domain fields, id, updatedAt and the sync metadata. */
export function toRecord(spec: TableSpec, row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = { id: row.id };
  for (const { field, column, kind } of spec.fields) out[field] = fromColumn(kind, row[column]);
  out.updatedAt = row.updated_at;
  out.version = row.version;
  out.hlc = row.hlc;
  out.nodeId = row.node_id;
  out.vv = JSON.parse(row.vv as string) as VersionVector;
  out.syncStatus = row.sync_status;
  out.lastSync = row.last_sync;
  for (const d of spec.derived) out[d.field] = row[derivedAlias(d)] ?? null;
  return out;
}

/** A list query: the table's declared filters by field name (undefined: no filter), `search`, paging. */
export type ListOptions = Record<string, unknown> & { search?: unknown; offset?: number; limit?: number };

/**
 * Local writes to one synced table: optimistic concurrency on `version`, soft deletes (tombstones sync), and
 * every write enqueued in the same transaction. Every column name comes from the table's fixed spec.
 */
export class RecordRepository {
  constructor(
    private readonly core: StoreCore,
    private readonly queue: SyncQueue,
    readonly spec: TableSpec,
    private readonly beforeLocalWrite: () => void,
    private readonly onConflictedWrite: (table: SyncedTable, recordId: string, row: Row) => void,
  ) {
    const cols = spec.fields.map((fs) => fs.column);
    this.insertStmt = core.db.prepare(
      `INSERT INTO ${spec.table} (id, ${cols.join(', ')}, version, hlc, node_id, vv, deleted, sync_status, updated_at)
       VALUES (?, ${cols.map(() => '?').join(', ')}, 1, ?, ?, ?, 0, 'pending', ?)`,
    );
  }

  private readonly insertStmt: Database.Statement;
  /** a `status` field, whose value `critical` raises a change to priority 10 */
  private get hasStatus(): boolean {
    return this.spec.fields.some((f) => f.field === 'status');
  }
  private readonly patchCache = new Map<string, { select: Database.Statement; update: Database.Statement; patched: Set<string> }>();

  private get table(): SyncedTable {
    return this.spec.table;
  }

  get(id: string): Record<string, unknown> {
    checkId(id);
    const row = this.core.stmt(`SELECT t.*${derivedColumnsSql(this.spec, 't')} FROM ${this.table} t WHERE t.id = ? AND t.deleted = 0`).get(id) as
      | Row
      | undefined;
    if (!row) throw this.notFound(id);
    return toRecord(this.spec, row);
  }

  /** A written record with its derived fields (counted from its children) filled in. */
  private withDerived(record: Record<string, unknown>): Record<string, unknown> {
    if (this.spec.derived.length === 0) return record;
    const values = this.core.stmt(`SELECT ${derivedColumnsSql(this.spec, 't').slice(2)} FROM ${this.table} t WHERE t.id = ?`).get(record.id) as Row;
    for (const d of this.spec.derived) record[d.field] = values[derivedAlias(d)] ?? null;
    return record;
  }

  /** Including tombstones; undefined when the id was never seen. */
  getRow(id: string): Row | undefined {
    return this.core.stmt(`SELECT * FROM ${this.table} WHERE id = ?`).get(id) as Row | undefined;
  }

  list(options: ListOptions): Page<Record<string, unknown>> {
    const { offset, limit } = paging(options.offset, options.limit);
    const where = ['deleted = 0'];
    const params: unknown[] = [];
    for (const f of this.spec.listFilters) {
      const value = options[f.field];
      if (value === undefined) continue;
      if (f.format === 'id') checkId(value, `${tableSpecs[f.references as SyncedTable].label.toLowerCase()} id`);
      where.push(`${f.column} = ?`);
      params.push(value);
    }
    const columns = this.spec.searchColumns;
    const text = options.search === undefined || columns.length === 0 ? '' : String(options.search).slice(0, 200).trim();
    if (text) {
      const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push(`(${columns.map((c) => `${c} LIKE ? ESCAPE '\\'`).join(' OR ')})`);
      for (let i = 0; i < columns.length; i++) params.push(pattern);
    }
    const clause = where.join(' AND ');
    const rows = this.core
      .stmt(`SELECT t.*${derivedColumnsSql(this.spec, 't')} FROM ${this.table} t WHERE ${clause} ORDER BY updated_at DESC, rowid DESC LIMIT ? OFFSET ?`)
      .all(...params, limit, offset) as Row[];
    const total = (this.core.stmt(`SELECT count(*) AS n FROM ${this.table} WHERE ${clause}`).get(...params) as { n: number }).n;
    return { items: rows.map((r) => toRecord(this.spec, r)), total, offset, limit };
  }

  create(input: JsonObject & { id?: unknown }): Record<string, unknown> {
    const id = input.id === undefined || input.id === null ? randomUUID() : checkId(input.id);
    const { id: _ignored, ...fields } = input;
    const now = nowIso();
    const given = { ...this.spec.createDefaults, ...fields };
    const moved = this.spec.lifecycle ? moveFields(this.spec, id, given[this.spec.lifecycle.field], null, now) : {};
    const data = parseData(this.spec, { ...given, ...moved, createdAt: now }, id);
    const columns = dataColumns(this.spec, data, now);
    this.beforeLocalWrite();
    return this.core.writeHot(() => {
      this.requireParent(data);
      const existing = this.core.stmt(`SELECT deleted FROM ${this.table} WHERE id = ?`).get(id) as { deleted: number } | undefined;
      if (existing) {
        throw new OutpostError(
          'conflict',
          `${this.spec.label} ${JSON.stringify(id)} already exists${existing.deleted === 1 ? ' (deleted)' : ''}: choose another id or leave it out.`,
        );
      }
      const hlc = this.core.clock.tick();
      const vv = { [this.core.nodeId]: 1 };
      this.insertStmt.run(id, ...columns, hlc, this.core.nodeId, JSON.stringify(vv), now);
      const record: Record<string, unknown> = { id };
      this.spec.fields.forEach((fs, i) => (record[fs.field] = fs.kind === 'json' ? (data[fs.field] ?? null) : columns[i]));
      Object.assign(record, { updatedAt: now, version: 1, hlc, nodeId: this.core.nodeId, vv, syncStatus: 'pending', lastSync: null });
      this.queue.enqueue(this.table, id, 'INSERT', this.priorityOf(record.status), false, now);
      this.core.touch(this.table, id);
      return this.withDerived(record);
    });
  }

  /**
   * Applies a patch if the record is still at `expectedVersion`. One narrow read (the columns the patch does not
   * replace), one write by primary key, one queue upsert; the result is built from what was read and written.
   */
  update(id: string, patch: Record<string, unknown>, expectedVersion: number): Record<string, unknown> {
    checkId(id);
    let fields = checkPatch(this.spec, patch, id);
    if (fields.length === 0) throw new OutpostError('invalid_input', 'The patch is empty: give at least one field to change.');
    checkVersion(expectedVersion);
    const lifecycle = this.spec.lifecycle;
    const moving = lifecycle !== undefined && patch[lifecycle.field] !== undefined;
    let values = moving ? [] : fields.map((fs) => toColumn(fs.kind, patch[fs.field]));
    this.beforeLocalWrite();
    return this.core.writeHot(() => {
      this.requireParent(patch as JsonObject);
      const now = nowIso();
      if (moving) {
        // a status move: its stamps join the patch, read and decided inside this transaction
        patch = { ...patch, ...moveFields(this.spec, id, patch[lifecycle.field], this.current(id, expectedVersion), now) };
        fields = Object.keys(patch)
          .filter((k) => patch[k] !== undefined)
          .map((k) => fieldOf(this.spec, k)!)
          .sort((a, b) => (a.field < b.field ? -1 : 1));
        values = fields.map((fs) => toColumn(fs.kind, patch[fs.field]));
      }
      const { select, update, patched } = this.patchStatements(fields);
      const row = select.get(id) as Row | undefined;
      if (!row || row.deleted === 1) throw this.notFound(id);
      if (row.version !== expectedVersion) throw this.versionConflict(id, expectedVersion, row.version as number);
      const hlc = this.core.clock.tick();
      const vv = this.nextVv(row.vv as string);
      const inConflict = row.sync_status === 'conflict';
      const syncStatus = inConflict ? 'conflict' : 'pending';
      update.run(...values, expectedVersion + 1, hlc, this.core.nodeId, JSON.stringify(vv), syncStatus, now, id, expectedVersion);
      const record: Record<string, unknown> = { id };
      for (const fs of this.spec.fields) record[fs.field] = patched.has(fs.field) ? patch[fs.field] : fromColumn(fs.kind, row[fs.column]);
      Object.assign(record, { updatedAt: now, version: expectedVersion + 1, hlc, nodeId: this.core.nodeId, vv, syncStatus, lastSync: row.last_sync });
      this.queue.enqueue(this.table, id, 'UPDATE', this.priorityOf(record.status), inConflict, now);
      if (inConflict) this.onConflictedWrite(this.table, id, this.getRow(id)!);
      this.core.touch(this.table, id);
      return this.withDerived(record);
    });
  }

  /** The fields a status move reads, of a live record at the expected version (else not_found / version_conflict). */
  private current(id: string, expectedVersion: number): Record<string, unknown> {
    const fields = moveInputFields(this.spec).map((f) => fieldOf(this.spec, f)!);
    const row = this.core.stmt(`SELECT version, deleted, ${fields.map((f) => f.column).join(', ')} FROM ${this.table} WHERE id = ?`).get(id) as Row | undefined;
    if (!row || row.deleted === 1) throw this.notFound(id);
    if (row.version !== expectedVersion) throw this.versionConflict(id, expectedVersion, row.version as number);
    return Object.fromEntries(fields.map((f) => [f.field, fromColumn(f.kind, row[f.column])]));
  }

  delete(id: string, expectedVersion?: number): { id: string; deleted: true } {
    checkId(id);
    if (expectedVersion !== undefined) checkVersion(expectedVersion);
    this.beforeLocalWrite();
    return this.core.writeHot(() => {
      const row = this.core.stmt(`SELECT version, vv, sync_status, deleted${this.hasStatus ? ', status' : ''} FROM ${this.table} WHERE id = ?`).get(id) as Row | undefined;
      if (!row || row.deleted === 1) throw this.notFound(id);
      const version = row.version as number;
      if (expectedVersion !== undefined && version !== expectedVersion) throw this.versionConflict(id, expectedVersion, version);
      const now = nowIso();
      const inConflict = row.sync_status === 'conflict';
      this.core
        .stmt(
          `UPDATE ${this.table} SET deleted = 1, version = ?, hlc = ?, node_id = ?, vv = ?, sync_status = ?, updated_at = ? WHERE id = ? AND version = ?`,
        )
        .run(version + 1, this.core.clock.tick(), this.core.nodeId, JSON.stringify(this.nextVv(row.vv as string)), inConflict ? 'conflict' : 'pending', now, id, version);
      this.queue.enqueue(this.table, id, 'DELETE', this.priorityOf(row.status), inConflict, now);
      if (inConflict) this.onConflictedWrite(this.table, id, this.getRow(id)!);
      this.core.touch(this.table, id);
      return { id, deleted: true as const };
    });
  }

  /**
   * Writes a full state as a local write with an explicit version vector (conflict resolution, undo). The row
   * must exist (conflicts are only recorded for rows that do). `data` null deletes.
   */
  writeState(id: string, data: JsonObject | null, vv: VersionVector, now: string): Row {
    const hlc = this.core.clock.tick();
    let row: Row | undefined;
    if (data === null) {
      row = this.core
        .stmt(
          `UPDATE ${this.table} SET deleted = 1, version = version + 1, hlc = ?, node_id = ?, vv = ?, sync_status = 'pending', updated_at = ?
           WHERE id = ? RETURNING *`,
        )
        .get(hlc, this.core.nodeId, JSON.stringify(vv), now, id) as Row | undefined;
    } else {
      const existing = this.getRow(id);
      this.requireParent(data, true);
      const cols = this.spec.fields.map((f) => f.column);
      row = this.core
        .stmt(
          `UPDATE ${this.table} SET ${cols.map((c) => `${c} = ?`).join(', ')}, deleted = 0, version = version + 1, hlc = ?, node_id = ?, vv = ?,
             sync_status = 'pending', updated_at = ? WHERE id = ? RETURNING *`,
        )
        .get(...dataColumns(this.spec, data, (existing?.created_at as string | undefined) ?? now), hlc, this.core.nodeId, JSON.stringify(vv), now, id) as
        | Row
        | undefined;
    }
    if (!row) throw this.notFound(id);
    this.queue.enqueue(this.table, id, data === null ? 'DELETE' : 'UPDATE', this.priorityOf(row.status), false, now);
    this.core.touch(this.table, id);
    return row;
  }

  /**
   * Writes a record again under the id of its tombstone (a keyed record set after its delete): a local write
   * descending from the tombstone's vector, so every node sees it come back. Returns the record.
   */
  revive(id: string, fields: JsonObject): Record<string, unknown> {
    const now = nowIso();
    const data = parseData(this.spec, { ...this.spec.createDefaults, ...fields, createdAt: now }, id);
    this.beforeLocalWrite();
    return this.core.writeHot(() => {
      const row = this.getRow(id);
      if (!row || row.deleted !== 1) throw new OutpostError('conflict', `${this.spec.label} ${JSON.stringify(id)} is not deleted: update it instead.`);
      if (row.sync_status === 'conflict') {
        throw new OutpostError('conflict', `${this.spec.label} ${JSON.stringify(id)} has a conflict waiting (its delete against another node's write): resolve it first.`);
      }
      this.requireParent(data);
      return this.withDerived(toRecord(this.spec, this.writeState(id, data, this.nextVv(row.vv as string), now)));
    });
  }

  priorityOf(status: unknown): number {
    return status === 'critical' ? 10 : this.spec.defaultPriority;
  }

  private nextVv(vvJson: string): VersionVector {
    return incrementVv(JSON.parse(vvJson) as VersionVector, this.core.nodeId);
  }

  /** Statements for one set of patched fields (column names from the fixed spec only), built once. */
  private patchStatements(fields: FieldSpec[]): { select: Database.Statement; update: Database.Statement; patched: Set<string> } {
    const key = fields.map((fs) => fs.field).join(',');
    let entry = this.patchCache.get(key);
    if (!entry) {
      const patched = new Set(fields.map((fs) => fs.field));
      const keep = this.spec.fields.filter((fs) => !patched.has(fs.field)).map((fs) => fs.column);
      entry = {
        select: this.core.db.prepare(`SELECT ${['version', 'vv', 'sync_status', 'deleted', 'last_sync', ...keep].join(', ')} FROM ${this.table} WHERE id = ?`),
        update: this.core.db.prepare(
          `UPDATE ${this.table} SET ${fields.map((fs) => `${fs.column} = ?`).join(', ')}, version = ?, hlc = ?, node_id = ?, vv = ?, sync_status = ?, updated_at = ?
           WHERE id = ? AND version = ?`,
        ),
        patched,
      };
      this.patchCache.set(key, entry);
    }
    return entry;
  }

  private versionConflict(id: string, expected: number, current: number): OutpostError {
    return new OutpostError(
      'version_conflict',
      `${this.spec.label} ${JSON.stringify(id)} was changed since you read it (you have version ${expected}, it is now at version ${current}): reload it and apply your change again.`,
      { currentVersion: current },
    );
  }

  /** The record a write points at (workflow → agent, execution → workflow) must exist. */
  private requireParent(data: JsonObject, allowTombstone = false): void {
    const parent = this.spec.parent;
    if (!parent) return;
    const parentId = data[parent.field];
    if (parentId === undefined || parentId === null) return;
    const row = this.core.stmt(`SELECT deleted FROM ${parent.table} WHERE id = ?`).get(parentId) as { deleted: number } | undefined;
    if (!row || (row.deleted === 1 && !allowTombstone)) {
      const label = tableSpecs[parent.table].label;
      throw new OutpostError('invalid_input', `${label} ${JSON.stringify(parentId)} does not exist: create it first, or pick an existing one.`);
    }
  }

  private notFound(id: string): OutpostError {
    return new OutpostError('not_found', `${this.spec.label} ${JSON.stringify(id)} does not exist.`);
  }

  /** Sync data of a row (for conflicts and outgoing changes). */
  dataOf(row: Row): JsonObject | null {
    return row.deleted === 1 ? null : rowData(this.spec, row);
  }
}

function checkVersion(expectedVersion: unknown): void {
  if (!Number.isSafeInteger(expectedVersion) || (expectedVersion as number) < 1) {
    throw new OutpostError('invalid_input', 'expectedVersion must be the version you last read (an integer >= 1).');
  }
}
