import { randomUUID } from 'node:crypto';
import type { JsonObject, Page, SyncedTable, VersionVector } from '../../shared/domain/records';
import type { QueueOperation } from '../../shared/domain/queue';
import { OutpostError } from '../../shared/errors';
import { nowIso, type StoreCore } from './core';
import type { SyncQueue } from './queue';
import { checkId, checkPatchKeys, dataColumns, fromColumn, parseData, patchSchemaOf, rowData, toColumn, type TableSpec } from './tables';

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
  return out;
}

export interface ListOptions {
  /** equality filters on fixed columns: field name -> value (undefined = no filter) */
  filters: Array<{ column: string; value: unknown }>;
  search?: { columns: string[]; text: string };
  offset?: number;
  limit?: number;
}

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
  ) {}

  private get table(): SyncedTable {
    return this.spec.table;
  }

  get(id: string): Record<string, unknown> {
    checkId(id);
    const row = this.core.stmt(`SELECT * FROM ${this.table} WHERE id = ? AND deleted = 0`).get(id) as Row | undefined;
    if (!row) throw this.notFound(id);
    return toRecord(this.spec, row);
  }

  /** Including tombstones; undefined when the id was never seen. */
  getRow(id: string): Row | undefined {
    return this.core.stmt(`SELECT * FROM ${this.table} WHERE id = ?`).get(id) as Row | undefined;
  }

  list(options: ListOptions): Page<Record<string, unknown>> {
    const offset = Math.max(0, Math.trunc(options.offset ?? 0));
    const limit = Math.min(1000, Math.max(1, Math.trunc(options.limit ?? 100)));
    const where = ['deleted = 0'];
    const params: unknown[] = [];
    for (const f of options.filters) {
      if (f.value === undefined) continue;
      where.push(`${f.column} = ?`);
      params.push(f.value);
    }
    const text = options.search?.text.trim();
    if (options.search && text) {
      const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push(`(${options.search.columns.map((c) => `${c} LIKE ? ESCAPE '\\'`).join(' OR ')})`);
      for (let i = 0; i < options.search.columns.length; i++) params.push(pattern);
    }
    const clause = where.join(' AND ');
    const rows = this.core
      .stmt(`SELECT * FROM ${this.table} WHERE ${clause} ORDER BY updated_at DESC, id LIMIT ? OFFSET ?`)
      .all(...params, limit, offset) as Row[];
    const total = (this.core.stmt(`SELECT count(*) AS n FROM ${this.table} WHERE ${clause}`).get(...params) as { n: number }).n;
    return { items: rows.map((r) => toRecord(this.spec, r)), total, offset, limit };
  }

  create(input: JsonObject & { id?: unknown }): Record<string, unknown> {
    const id = input.id === undefined || input.id === null ? randomUUID() : checkId(input.id);
    const { id: _ignored, ...fields } = input;
    const now = nowIso();
    const data = parseData(this.spec, { ...this.spec.createDefaults, ...fields, createdAt: now }, id);
    this.beforeLocalWrite();
    return this.core.write(() => {
      this.requireParent(data);
      const existing = this.getRow(id);
      if (existing) {
        throw new OutpostError(
          'conflict',
          `${this.spec.label} ${JSON.stringify(id)} already exists${existing.deleted === 1 ? ' (deleted)' : ''}: choose another id or leave it out.`,
        );
      }
      const hlc = this.core.clock.tick();
      const cols = this.spec.fields.map((f) => f.column);
      const row = this.core
        .stmt(
          `INSERT INTO ${this.table} (id, ${cols.join(', ')}, version, hlc, node_id, vv, deleted, sync_status, updated_at)
           VALUES (?, ${cols.map(() => '?').join(', ')}, 1, ?, ?, ?, 0, 'pending', ?) RETURNING *`,
        )
        .get(id, ...dataColumns(this.spec, data, now), hlc, this.core.nodeId, JSON.stringify({ [this.core.nodeId]: 1 }), now) as Row;
      this.queue.enqueue(this.table, id, 'INSERT', this.priorityOf(row), false, now);
      this.core.touch(this.table, id);
      return toRecord(this.spec, row);
    });
  }

  update(id: string, patch: Record<string, unknown>, expectedVersion: number): Record<string, unknown> {
    checkId(id);
    const keys = checkPatchKeys(this.spec, patch);
    if (keys.length === 0) throw new OutpostError('invalid_input', 'The patch is empty: give at least one field to change.');
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 1) {
      throw new OutpostError('invalid_input', 'expectedVersion must be the version you last read (an integer >= 1).');
    }
    const parsed = patchSchemaOf(this.spec).safeParse(patch);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'patch'}: ${i.message}`);
      throw new OutpostError('invalid_input', `Invalid ${this.spec.label.toLowerCase()} patch: ${issues.join('; ')}`);
    }
    const values = parsed.data as JsonObject;
    const fields = keys.map((k) => this.spec.fields.find((f) => f.field === k)!);
    this.beforeLocalWrite();
    return this.core.write(() => {
      this.requireParent(values);
      const now = nowIso();
      const sql = `UPDATE ${this.table} SET ${fields.map((f) => `${f.column} = ?`).join(', ')}, ${this.touchSql()}
        WHERE id = ? AND version = ? AND deleted = 0 RETURNING *`;
      const row = this.core
        .stmt(sql)
        .get(...fields.map((f) => toColumn(f.kind, values[f.field])), ...this.touchParams(now), id, expectedVersion) as Row | undefined;
      if (!row) throw this.whyNotWritten(id, expectedVersion);
      this.afterLocalWrite(row, 'UPDATE', now);
      return toRecord(this.spec, row);
    });
  }

  delete(id: string, expectedVersion?: number): { id: string; deleted: true } {
    checkId(id);
    if (expectedVersion !== undefined && (!Number.isSafeInteger(expectedVersion) || expectedVersion < 1)) {
      throw new OutpostError('invalid_input', 'expectedVersion must be the version you last read (an integer >= 1).');
    }
    this.beforeLocalWrite();
    return this.core.write(() => {
      const now = nowIso();
      const row = this.core
        .stmt(`UPDATE ${this.table} SET deleted = 1, ${this.touchSql()} WHERE id = ? AND deleted = 0 AND (? IS NULL OR version = ?) RETURNING *`)
        .get(...this.touchParams(now), id, expectedVersion ?? null, expectedVersion ?? null) as Row | undefined;
      if (!row) throw this.whyNotWritten(id, expectedVersion ?? 0);
      this.afterLocalWrite(row, 'DELETE', now);
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
    this.queue.enqueue(this.table, id, data === null ? 'DELETE' : 'UPDATE', this.priorityOf(row), false, now);
    this.core.touch(this.table, id);
    return row;
  }

  priorityOf(row: Row): number {
    return row.status === 'critical' ? 10 : this.spec.defaultPriority;
  }

  /** The SET part every local write shares: version, clock, writer, this node's vv entry, sync status. */
  private touchSql(): string {
    return `version = version + 1, hlc = ?, node_id = ?, vv = json_set(vv, ?, coalesce(json_extract(vv, ?), 0) + 1),
      sync_status = CASE sync_status WHEN 'conflict' THEN 'conflict' ELSE 'pending' END, updated_at = ?`;
  }

  private touchParams(now: string): unknown[] {
    return [this.core.clock.tick(), this.core.nodeId, this.core.vvPath, this.core.vvPath, now];
  }

  private afterLocalWrite(row: Row, op: QueueOperation, now: string): void {
    const inConflict = row.sync_status === 'conflict';
    this.queue.enqueue(this.table, row.id as string, op, this.priorityOf(row), inConflict, now);
    if (inConflict) this.onConflictedWrite(this.table, row.id as string, row);
    this.core.touch(this.table, row.id as string);
  }

  /** The record a write points at (workflow → agent, execution → workflow) must exist. */
  private requireParent(data: JsonObject, allowTombstone = false): void {
    const parent = this.spec.parent;
    if (!parent) return;
    const parentId = data[parent.field];
    if (parentId === undefined || parentId === null) return;
    const row = this.core.stmt(`SELECT deleted FROM ${parent.table} WHERE id = ?`).get(parentId) as { deleted: number } | undefined;
    if (!row || (row.deleted === 1 && !allowTombstone)) {
      const label = parent.table === 'agents' ? 'Agent' : 'Workflow';
      throw new OutpostError('invalid_input', `${label} ${JSON.stringify(parentId)} does not exist: create it first, or pick an existing one.`);
    }
  }

  private whyNotWritten(id: string, expectedVersion: number): OutpostError {
    const current = this.core.stmt(`SELECT version, deleted FROM ${this.table} WHERE id = ?`).get(id) as { version: number; deleted: number } | undefined;
    if (!current || current.deleted === 1) return this.notFound(id);
    return new OutpostError(
      'version_conflict',
      `${this.spec.label} ${JSON.stringify(id)} was changed since you read it (you have version ${expectedVersion}, it is now at version ${current.version}): reload it and apply your change again.`,
      { currentVersion: current.version },
    );
  }

  private notFound(id: string): OutpostError {
    return new OutpostError('not_found', `${this.spec.label} ${JSON.stringify(id)} does not exist.`);
  }

  /** Sync data of a row (for conflicts and outgoing changes). */
  dataOf(row: Row): JsonObject | null {
    return row.deleted === 1 ? null : rowData(this.spec, row);
  }
}
