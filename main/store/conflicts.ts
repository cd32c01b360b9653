import type { JsonObject, Page, SyncedTable, VersionVector } from '../../shared/domain/records';
import type { ConflictStatus, RecordConflictType } from '../../shared/domain/conflicts';
import { OutpostError } from '../../shared/errors';
import { lostEdits, withoutPaths } from '../../shared/merge/lost-edits';
import { incrementVv, mergeVv } from '../../shared/sync/version-vector';
import type { OverriddenWrite } from '../../shared/sync/wire';
import { nowIso, paging, type StoreCore } from './core';
import { joinOverrode } from './queue-rows';
import type { RecordRepository } from './records';
import type { Shadows } from './shadow';
import { checkId, parseData, rowData, specOf, type TableSpec } from './tables';
import type { ConflictListQuery, RecordConflict, RecordConflictDetail, ResolveInput, ShadowState } from './types';

type Row = Record<string, unknown>;

/**
 * A conflict whose resolution replaced an edit made here that no one here chose to drop: resolved automatically,
 * or on another node. The `lost` filter of conflicts.list and the editsReplaced count (and its notification).
 */
export const EDITS_REPLACED_SQL = 'lost_fields IS NOT NULL AND (automatic = 1 OR resolved_on IS NOT NULL)';

interface ConflictRow {
  id: number;
  table_name: SyncedTable;
  record_id: string;
  type: RecordConflictType;
  local_version: number | null;
  remote_version: number | null;
  base_data: string | null;
  local_data: string | null;
  remote_data: string | null;
  local_vv: string;
  remote_vv: string;
  local_hlc: string | null;
  remote_hlc: string;
  remote_node_id: string;
  resolution_strategy: string | null;
  resolved_data: string | null;
  replaced_data: string | null;
  automatic: number;
  confidence: number | null;
  detected_at: string;
  resolved_at: string | null;
  resolved_by: string | null;
  status: ConflictStatus;
  /** JSON string[]: the paths of this node's edits the resolution replaced ([]: the whole write); null: none */
  lost_fields: string | null;
  /** the node that resolved it, when that was another node (the resolution came with its write) */
  resolved_on: string | null;
}

/** The remote side of a conflict: a state the hub has that does not descend from ours. */
export interface RemoteSide {
  data: JsonObject | null;
  deleted: boolean;
  vv: VersionVector;
  hlc: string;
  nodeId: string;
  seq: number | null;
}

const STATUSES: readonly ConflictStatus[] = ['pending', 'resolved', 'escalated'];
const parseJson = (text: string | null): JsonObject | null => (text === null ? null : (JSON.parse(text) as JsonObject | null));

/**
 * conflict_resolution rows for synced records. A record has at most one open (pending or escalated) conflict:
 * a newer remote state updates it. While open, the record's queue item is blocked (sync_queue.conflict_id) and
 * its row is never overwritten by a pull. Resolving writes the chosen state as a local write whose vector
 * descends from both sides, so it syncs like any other write.
 */
export class Conflicts {
  constructor(
    private readonly core: StoreCore,
    private readonly shadows: Shadows,
    private readonly repos: Record<SyncedTable, RecordRepository>,
  ) {}

  openFor(table: SyncedTable, recordId: string): ConflictRow | undefined {
    return this.core
      .stmt(`SELECT * FROM conflict_resolution WHERE table_name = ? AND record_id = ? AND status IN ('pending', 'escalated') ORDER BY id DESC LIMIT 1`)
      .get(table, recordId) as ConflictRow | undefined;
  }

  /** Records (or refreshes) the open conflict of a record, blocks its pending queue item, flags its row. */
  record(spec: TableSpec, row: Row, remote: RemoteSide): number {
    const recordId = row.id as string;
    const shadow = this.shadows.get(spec.table, recordId);
    const localDeleted = row.deleted === 1;
    const type: RecordConflictType = localDeleted || remote.deleted ? 'delete-update' : shadow ? 'update-update' : 'create-create';
    const local = localDeleted ? null : rowData(spec, row);
    const base = shadow && !shadow.deleted ? shadow.data : null;
    const remoteData = remote.deleted ? null : remote.data;
    const now = nowIso();
    const open = this.openFor(spec.table, recordId);
    let id: number;
    if (open) {
      id = open.id;
      this.core
        .stmt(
          `UPDATE conflict_resolution SET type = ?, base_data = ?, local_data = ?, local_vv = ?, local_hlc = ?, local_version = ?,
             remote_data = ?, remote_vv = ?, remote_hlc = ?, remote_node_id = ?, remote_version = ?, detected_at = ? WHERE id = ?`,
        )
        .run(type, json(base), json(local), row.vv, row.hlc, row.version, json(remoteData), JSON.stringify(remote.vv), remote.hlc, remote.nodeId, remote.seq, now, id);
    } else {
      id = Number(
        this.core
          .stmt(
            `INSERT INTO conflict_resolution (table_name, record_id, type, local_version, remote_version, base_data, local_data, remote_data,
               local_vv, remote_vv, local_hlc, remote_hlc, remote_node_id, created_at, detected_at, status)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
          )
          .run(spec.table, recordId, type, row.version, remote.seq, json(base), json(local), json(remoteData), row.vv, JSON.stringify(remote.vv), row.hlc, remote.hlc, remote.nodeId, now, now)
          .lastInsertRowid,
      );
    }
    this.core.stmt(`UPDATE sync_queue SET conflict_id = ? WHERE table_name = ? AND record_id = ? AND status = 'pending'`).run(id, spec.table, recordId);
    this.core.stmt(`UPDATE ${spec.table} SET sync_status = 'conflict' WHERE id = ?`).run(recordId);
    this.core.touch('conflict_resolution');
    this.core.touch('sync_queue');
    this.core.touch(spec.table, recordId);
    return id;
  }

  /** A local write to a record in conflict: the conflict's local side follows it. */
  refreshLocal(table: SyncedTable, recordId: string, row: Row): void {
    const spec = specOf(table);
    this.core
      .stmt(
        `UPDATE conflict_resolution SET local_data = ?, local_vv = ?, local_hlc = ?, local_version = ?
         WHERE table_name = ? AND record_id = ? AND status IN ('pending', 'escalated')`,
      )
      .run(json(row.deleted === 1 ? null : rowData(spec, row)), row.vv, row.hlc, row.version, table, recordId);
    this.core.touch('conflict_resolution');
  }

  /** A remote state that has seen both sides arrived: the open conflict no longer needs a decision. */
  supersede(table: SyncedTable, recordId: string, now: string): void {
    const open = this.openFor(table, recordId);
    if (!open) return;
    this.core
      .stmt(
        `UPDATE conflict_resolution SET status = 'resolved', resolution_strategy = 'superseded', resolved_by = 'system', resolved_at = ?,
           resolved_data = remote_data WHERE id = ?`,
      )
      .run(now, open.id);
    this.core.stmt(`UPDATE sync_queue SET conflict_id = NULL WHERE conflict_id = ?`).run(open.id);
    this.core.touch('conflict_resolution');
  }

  /** The resolved write goes out telling the node whose write it replaced (see shared/sync/wire.ts overrode). */
  private tellOverridden(table: SyncedTable, recordId: string, note: OverriddenWrite): void {
    const pending = this.core
      .stmt(`SELECT id, overrode FROM sync_queue WHERE table_name = ? AND record_id = ? AND status = 'pending'`)
      .get(table, recordId) as { id: number; overrode: string | null } | undefined;
    if (!pending) return; // the resolution wrote nothing new (it kept the hub's state as it is): nobody to tell
    this.core.stmt('UPDATE sync_queue SET overrode = ? WHERE id = ?').run(joinOverrode(pending.overrode, JSON.stringify([note])), pending.id);
  }

  /**
   * Another node resolved a conflict against this node's write, and the resolved state is arriving: this node
   * keeps the story as a resolved conflict (its own data as the replaced side, undoable when the resolution was
   * automatic; its base is its own data without the replaced paths, see withoutPaths), so the person here sees which of their edits were replaced, by which node and how.
   */
  recordOverridden(spec: TableSpec, row: Row, remote: RemoteSide, note: OverriddenWrite, lost: string[]): number {
    const own = row.deleted === 1 ? null : rowData(spec, row);
    const resolved = remote.deleted ? null : remote.data;
    const now = nowIso();
    const id = Number(
      this.core
        .stmt(
          `INSERT INTO conflict_resolution (table_name, record_id, type, local_version, remote_version, base_data, local_data, remote_data,
             local_vv, remote_vv, local_hlc, remote_hlc, remote_node_id, created_at, detected_at, status, resolution_strategy, resolved_data,
             replaced_data, automatic, confidence, resolved_at, resolved_by, lost_fields, resolved_on)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'resolved', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          spec.table,
          row.id,
          own === null || resolved === null ? 'delete-update' : 'update-update',
          row.version,
          remote.seq,
          own === null || resolved === null ? null : JSON.stringify(withoutPaths(own, lost)),
          json(own),
          json(resolved),
          row.vv,
          JSON.stringify(remote.vv),
          row.hlc,
          remote.hlc,
          remote.nodeId,
          now,
          now,
          note.strategy,
          JSON.stringify(resolved),
          JSON.stringify(own),
          note.automatic ? 1 : 0,
          note.confidence,
          now,
          note.automatic ? 'system' : 'a person',
          JSON.stringify(lost),
          remote.nodeId,
        ).lastInsertRowid,
    );
    this.core.touch('conflict_resolution');
    return id;
  }

  list(query: ConflictListQuery = {}): Page<RecordConflict> {
    const { offset, limit } = paging(query.offset, query.limit);
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.status !== undefined) {
      if (!STATUSES.includes(query.status)) throw new OutpostError('invalid_input', `Unknown conflict status ${JSON.stringify(String(query.status))}.`);
      where.push('status = ?');
      params.push(query.status);
    }
    if (query.table !== undefined) {
      where.push('table_name = ?');
      params.push(specOf(query.table).table);
    }
    if (query.recordId !== undefined) {
      where.push('record_id = ?');
      params.push(checkId(query.recordId));
    }
    if (query.lost !== undefined) {
      if (typeof query.lost !== 'boolean') throw new OutpostError('invalid_input', 'lost must be true or false.');
      where.push(query.lost ? `(${EDITS_REPLACED_SQL})` : `NOT (${EDITS_REPLACED_SQL})`);
    }
    if (query.automatic !== undefined) {
      if (typeof query.automatic !== 'boolean') throw new OutpostError('invalid_input', 'automatic must be true or false.');
      where.push('automatic = ?');
      params.push(query.automatic ? 1 : 0);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const rows = this.core
      .stmt(`SELECT * FROM conflict_resolution ${clause} ORDER BY detected_at DESC, id DESC LIMIT ? OFFSET ?`)
      .all(...params, limit, offset) as ConflictRow[];
    const total = (this.core.stmt(`SELECT count(*) AS n FROM conflict_resolution ${clause}`).get(...params) as { n: number }).n;
    return { items: rows.map(toSummary), total, offset, limit };
  }

  get(id: number): RecordConflictDetail {
    return toDetail(this.rowOf(id));
  }

  resolve(id: number, input: ResolveInput): RecordConflictDetail {
    if (typeof input.strategy !== 'string' || input.strategy.length < 1 || input.strategy.length > 64) {
      throw new OutpostError('invalid_input', 'strategy must be a short name (1-64 characters).');
    }
    if (typeof input.resolvedBy !== 'string' || input.resolvedBy.length < 1 || input.resolvedBy.length > 200) {
      throw new OutpostError('invalid_input', 'resolvedBy must name who resolved it (1-200 characters).');
    }
    if (input.confidence !== undefined && !(input.confidence >= 0 && input.confidence <= 1)) {
      throw new OutpostError('invalid_input', 'confidence must be between 0 and 1.');
    }
    return this.core.write(() => {
      const conflict = this.rowOf(id);
      if (conflict.status === 'resolved') {
        throw new OutpostError('conflict', `Conflict r:${id} is already resolved (${conflict.resolution_strategy ?? 'no strategy'}); undo it first to choose again.`);
      }
      const spec = specOf(conflict.table_name);
      const repo = this.repos[spec.table];
      const data = input.resolvedData === null ? null : parseData(spec, input.resolvedData, conflict.record_id);
      const current = repo.getRow(conflict.record_id);
      if (!current) throw new OutpostError('not_found', `${spec.label} ${JSON.stringify(conflict.record_id)} of conflict r:${id} no longer exists.`);
      const replaced = repo.dataOf(current);
      const now = nowIso();
      const remoteVv = JSON.parse(conflict.remote_vv) as VersionVector;
      const vv = incrementVv(mergeVv(JSON.parse(current.vv as string) as VersionVector, remoteVv), this.core.nodeId);
      // unblock first: the write below coalesces into the record's pending item
      this.core.stmt(`UPDATE sync_queue SET conflict_id = NULL WHERE conflict_id = ?`).run(id);
      repo.writeState(conflict.record_id, data, vv, now);
      const remoteState: ShadowState = { data: parseJson(conflict.remote_data), vv: remoteVv, hlc: conflict.remote_hlc, deleted: conflict.remote_data === null };
      this.shadows.advance(spec.table, conflict.record_id, remoteState);
      const base = parseJson(conflict.base_data);
      const lostHere = lostEdits(base, replaced, data);
      const lostThere = lostEdits(base, remoteState.deleted ? null : remoteState.data, data);
      if (lostThere !== null) {
        this.tellOverridden(spec.table, conflict.record_id, {
          nodeId: conflict.remote_node_id,
          hlc: conflict.remote_hlc,
          fields: lostThere,
          strategy: input.strategy,
          automatic: input.automatic,
          confidence: input.confidence ?? null,
        });
      }
      this.core
        .stmt(
          `UPDATE conflict_resolution SET status = 'resolved', resolution_strategy = ?, resolved_data = ?, replaced_data = ?, automatic = ?,
             confidence = ?, resolved_at = ?, resolved_by = ?, lost_fields = ? WHERE id = ?`,
        )
        .run(input.strategy, JSON.stringify(data), JSON.stringify(replaced), input.automatic ? 1 : 0, input.confidence ?? null, now, input.resolvedBy, json(lostHere), id);
      this.core.touch('conflict_resolution');
      return toDetail(this.rowOf(id));
    });
  }

  /** Undoes an automatic resolution: the data it replaced comes back as a new local write, the conflict reopens. */
  undo(id: number): RecordConflictDetail {
    return this.core.write(() => {
      const conflict = this.rowOf(id);
      if (conflict.status !== 'resolved' || conflict.automatic !== 1 || conflict.replaced_data === null) {
        throw new OutpostError('conflict', `Conflict r:${id} was not resolved automatically, so there is nothing to undo.`);
      }
      const spec = specOf(conflict.table_name);
      const repo = this.repos[spec.table];
      const current = repo.getRow(conflict.record_id);
      if (!current) throw new OutpostError('not_found', `${spec.label} ${JSON.stringify(conflict.record_id)} no longer exists.`);
      const restored = parseJson(conflict.replaced_data);
      const now = nowIso();
      const vv = incrementVv(JSON.parse(current.vv as string) as VersionVector, this.core.nodeId);
      const row = repo.writeState(conflict.record_id, restored === null ? null : parseData(spec, restored, conflict.record_id), vv, now);
      this.core
        .stmt(
          `UPDATE conflict_resolution SET status = 'pending', resolution_strategy = NULL, resolved_data = NULL, replaced_data = NULL,
             automatic = 0, confidence = NULL, resolved_at = NULL, resolved_by = NULL, lost_fields = NULL, resolved_on = NULL,
             local_data = ?, local_vv = ?, local_hlc = ?, local_version = ? WHERE id = ?`,
        )
        .run(json(repo.dataOf(row)), row.vv, row.hlc, row.version, id);
      // the undone resolution no longer replaces the other node's write (a new one will say what it replaces)
      this.core
        .stmt(`UPDATE sync_queue SET overrode = NULL WHERE table_name = ? AND record_id = ? AND status = 'pending'`)
        .run(spec.table, conflict.record_id);
      this.core.stmt(`UPDATE sync_queue SET conflict_id = ? WHERE table_name = ? AND record_id = ? AND status = 'pending'`).run(id, spec.table, conflict.record_id);
      this.core.stmt(`UPDATE ${spec.table} SET sync_status = 'conflict' WHERE id = ?`).run(conflict.record_id);
      this.core.touch('conflict_resolution');
      return toDetail(this.rowOf(id));
    });
  }

  /** Marks an open conflict escalated: still unresolved and still blocking, flagged for a person. */
  escalate(id: number): RecordConflictDetail {
    return this.core.write(() => {
      const conflict = this.rowOf(id);
      if (conflict.status === 'resolved') throw new OutpostError('conflict', `Conflict r:${id} is already resolved.`);
      this.core.stmt(`UPDATE conflict_resolution SET status = 'escalated' WHERE id = ?`).run(id);
      this.core.touch('conflict_resolution');
      return toDetail(this.rowOf(id));
    });
  }

  private rowOf(id: number): ConflictRow {
    if (!Number.isSafeInteger(id) || id < 1) throw new OutpostError('invalid_input', `Invalid conflict id ${JSON.stringify(String(id))}.`);
    const row = this.core.stmt('SELECT * FROM conflict_resolution WHERE id = ?').get(id) as ConflictRow | undefined;
    if (!row) throw new OutpostError('not_found', `Conflict r:${id} does not exist.`);
    return row;
  }
}

const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

function toSummary(row: ConflictRow): RecordConflict {
  return {
    id: row.id,
    table: row.table_name,
    recordId: row.record_id,
    type: row.type,
    status: row.status,
    detectedAt: row.detected_at,
    resolvedAt: row.resolved_at,
    strategy: row.resolution_strategy,
    resolvedBy: row.resolved_by,
    confidence: row.confidence,
    automatic: row.automatic === 1,
    lostFields: row.lost_fields === null ? null : (JSON.parse(row.lost_fields) as string[]),
    resolvedOn: row.resolved_on,
  };
}

function toDetail(row: ConflictRow): RecordConflictDetail {
  return {
    ...toSummary(row),
    base: parseJson(row.base_data),
    local: parseJson(row.local_data),
    remote: parseJson(row.remote_data),
    localVv: JSON.parse(row.local_vv) as VersionVector,
    remoteVv: JSON.parse(row.remote_vv) as VersionVector,
    localHlc: row.local_hlc,
    remoteHlc: row.remote_hlc,
    remoteNodeId: row.remote_node_id,
    resolved: parseJson(row.resolved_data),
    replaced: parseJson(row.replaced_data),
  };
}
