import type Database from 'better-sqlite3';
import type { SyncedTable } from '../../shared/domain/records';
import type { QueueOperation } from '../../shared/domain/queue';
import type { StoreCore } from './core';
import { combineOps, joinOverrode, type QueueRow } from './queue-rows';
import type { PushedSnapshots } from './queue-snapshots';

/** How an item comes back to pending (see PendingItems.returnToPending). */
export interface ReturnFields {
  attempts: number;
  nextAttemptAt: string | null;
  error: string | null;
  conflictId?: number | null;
  /** true: the same push may go again under its change id (a release, a retryable failure); false: the next
   * push is a new one (a new base, a retry of a failed item), under a new change id */
  keepSnapshot: boolean;
}

/**
 * Pending items: enqueue with coalescing, and items coming back to pending. Queue rows hold identity, operation
 * and priority only; the change itself is built from the record's current row at lease time, so repeated writes
 * coalesce into one pending item with a single upsert. At most one item per record is `pending` (a partial
 * unique index enforces it); a record whose item is leased (`processing`) gets a new pending item for writes
 * made meanwhile.
 *
 * Coalescing rules (earlier + later): INSERT+UPDATE = INSERT, UPDATE+DELETE = DELETE, INSERT+DELETE = DELETE:
 * a record created and deleted before it ever synced is still sent, as a delete, so every node (and the hub)
 * learns its id is a tombstone and a late copy of it can never resurrect it. Priority is the max of both.
 */
export class PendingItems {
  private readonly enqueueStmt: Database.Statement;
  private readonly pendingOfStmt: Database.Statement;
  private readonly byIdStmt: Database.Statement;
  private readonly conflictOfRecordStmt: Database.Statement;

  constructor(
    private readonly core: StoreCore,
    private readonly snapshots: PushedSnapshots,
  ) {
    this.enqueueStmt = this.core.stmt(
      `INSERT INTO sync_queue (table_name, record_id, operation, priority, max_attempts, created_at, conflict_id)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (table_name, record_id) WHERE status = 'pending' DO UPDATE SET
         priority = max(priority, excluded.priority),
         operation = CASE WHEN excluded.operation = 'DELETE' THEN 'DELETE'
                          WHEN operation = 'INSERT' AND excluded.operation = 'UPDATE' THEN 'INSERT'
                          ELSE excluded.operation END,
         conflict_id = coalesce(conflict_id, excluded.conflict_id)`,
    );
    this.pendingOfStmt = this.core.stmt(`SELECT * FROM sync_queue WHERE table_name = ? AND record_id = ? AND status = 'pending'`);
    this.byIdStmt = this.core.stmt('SELECT * FROM sync_queue WHERE id = ?');
    this.conflictOfRecordStmt = this.core.stmt(
      `SELECT id FROM conflict_resolution WHERE table_name = ? AND record_id = ? AND status IN ('pending', 'escalated') ORDER BY id DESC LIMIT 1`,
    );
  }

  /** Records a local change of a record in the same transaction as the write (coalescing into its pending item). */
  enqueue(table: SyncedTable, recordId: string, op: QueueOperation, priority: number, blocked: boolean, now: string): void {
    const conflictId = blocked ? this.openConflictOf(table, recordId) : null;
    this.enqueueStmt.run(table, recordId, op, priority, this.core.settings().sync.maxAttempts, now, conflictId);
    this.core.touch('sync_queue');
  }

  pendingOf(table: SyncedTable, recordId: string): QueueRow | undefined {
    return this.pendingOfStmt.get(table, recordId) as QueueRow | undefined;
  }

  byId(id: number): QueueRow | undefined {
    return this.byIdStmt.get(id) as QueueRow | undefined;
  }

  /**
   * Puts an item (leased or failed) back to pending. When the record already has a newer pending item, the two
   * merge into that one (operations combined, max priority, the older age) so there is still one per record.
   * The change id stays in the row either way: kept for the same push, or the one a new push's id replaces
   * (queue-rows.ts changeIdFor). Returns the id of the pending item.
   */
  returnToPending(item: QueueRow, fields: ReturnFields): number {
    const pending = this.pendingOf(item.table_name, item.record_id);
    // an item of a record with an open conflict stays blocked whichever way it comes back
    const conflictId = fields.conflictId ?? this.openConflictOf(item.table_name, item.record_id);
    this.snapshots.drop(item.id);
    if (pending && pending.id !== item.id) {
      this.core
        .stmt(
          `UPDATE sync_queue SET operation = ?, priority = max(priority, ?), created_at = min(created_at, ?), attempts = ?,
             next_attempt_at = ?, error_message = ?, conflict_id = coalesce(?, conflict_id), overrode = ? WHERE id = ?`,
        )
        .run(
          combineOps(item.operation, pending.operation),
          item.priority,
          item.created_at,
          fields.attempts,
          fields.nextAttemptAt,
          fields.error,
          conflictId,
          joinOverrode(item.overrode, pending.overrode),
          pending.id,
        );
      this.core.stmt('DELETE FROM sync_queue WHERE id = ?').run(item.id);
      this.core.touch('sync_queue');
      return pending.id;
    }
    this.core
      .stmt(
        `UPDATE sync_queue SET status = 'pending', lease_id = NULL, leased_until = NULL, attempts = ?, next_attempt_at = ?,
           error_message = ?, conflict_id = coalesce(?, conflict_id), data = CASE WHEN ? THEN data ELSE NULL END
         WHERE id = ?`,
      )
      .run(fields.attempts, fields.nextAttemptAt, fields.error, conflictId, fields.keepSnapshot ? 1 : 0, item.id);
    this.core.touch('sync_queue');
    return item.id;
  }

  private openConflictOf(table: SyncedTable, recordId: string): number | null {
    return (this.conflictOfRecordStmt.get(table, recordId) as { id: number } | undefined)?.id ?? null;
  }
}
