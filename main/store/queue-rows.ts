import type { JsonObject, SyncedTable, VersionVector } from '../../shared/domain/records';
import type { QueueItem, QueueOperation, QueueStatus } from '../../shared/domain/queue';
import { MAX_OVERRIDDEN, type OverriddenWrite } from '../../shared/sync/wire';
import { changeIdOf } from './change-id';
import { rowData, specOf } from './tables';
import type { OutgoingChange, SyncOp } from './types';

/** A queue row as stored. */
export interface QueueRow {
  id: number;
  table_name: SyncedTable;
  record_id: string;
  operation: QueueOperation;
  data: string | null;
  priority: number;
  attempts: number;
  max_attempts: number;
  created_at: string;
  last_attempt: string | null;
  error_message: string | null;
  status: QueueStatus;
  change_id: string | null;
  lease_id: string | null;
  leased_until: string | null;
  next_attempt_at: string | null;
  conflict_id: number | null;
  completed_at: string | null;
  pushed_seq: number | null;
  /** JSON OverriddenWrite[]: the writes of other nodes that this item's state replaced by a resolution */
  overrode: string | null;
}

/** A pending item as leasing reads it. */
export type Candidate = Pick<QueueRow, 'id' | 'table_name' | 'record_id' | 'priority' | 'change_id' | 'overrode'> & {
  pushed_hlc: string | null;
  pushed_op: string | null;
};

/**
 * The change id a leased item pushes under. The same state leased again (after a release, a lost answer or a
 * retryable failure) keeps its id, so the hub answers `duplicate`; otherwise the id names the write
 * (change-id.ts), and the same write pushed anew (its pushed state dropped: a new base, a retry) replaces the id
 * it had.
 */
export function changeIdFor(item: Candidate, pusherNodeId: string, op: SyncOp, hlc: string): string {
  if (item.change_id === null) return changeIdOf(pusherNodeId, hlc);
  if (item.pushed_hlc === null) return changeIdOf(pusherNodeId, hlc, item.change_id);
  return item.pushed_hlc === hlc && item.pushed_op === op ? item.change_id : changeIdOf(pusherNodeId, hlc);
}

/** The change a leased item pushes, from its record's current row and shadow; this node pushes it. */
export function buildChange(item: Candidate, row: Record<string, unknown>, pusherNodeId: string): OutgoingChange {
  const spec = specOf(item.table_name);
  const op: SyncOp = row.deleted === 1 ? 'delete' : 'upsert';
  const hlc = row.hlc as string;
  const changeId = changeIdFor(item, pusherNodeId, op, hlc);
  return {
    queueId: item.id,
    changeId,
    table: spec.table,
    recordId: item.record_id,
    op,
    data: op === 'delete' ? null : rowData(spec, row),
    vv: JSON.parse(row.vv as string) as VersionVector,
    hlc,
    nodeId: row.node_id as string,
    priority: item.priority,
    baseVv: row.shadow_vv === null ? null : (JSON.parse(row.shadow_vv as string) as VersionVector),
    baseData: row.shadow_data === null || row.shadow_data === undefined ? null : (JSON.parse(row.shadow_data as string) as JsonObject),
    ...(item.overrode === null ? {} : { overrode: JSON.parse(item.overrode) as OverriddenWrite[] }),
  };
}

/** Two items' overridden writes as one list (the newest MAX_OVERRIDDEN), JSON or null when neither has any. */
export function joinOverrode(earlier: string | null, later: string | null): string | null {
  if (earlier === null || later === null) return earlier ?? later;
  const all = [...(JSON.parse(earlier) as OverriddenWrite[]), ...(JSON.parse(later) as OverriddenWrite[])];
  return JSON.stringify(all.slice(-MAX_OVERRIDDEN));
}

/** An earlier change followed by a later one of the same record, as one change. */
export function combineOps(earlier: QueueOperation, later: QueueOperation): QueueOperation {
  if (later === 'DELETE') return 'DELETE';
  if (earlier === 'INSERT' && later === 'UPDATE') return 'INSERT';
  return later;
}

export function toQueueItem(row: QueueRow): QueueItem {
  return {
    id: row.id,
    table: row.table_name,
    recordId: row.record_id,
    operation: row.operation,
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    status: row.status,
    createdAt: row.created_at,
    lastAttempt: row.last_attempt,
    nextAttemptAt: row.next_attempt_at,
    errorMessage: row.error_message,
  };
}
