import type { SyncedTable } from '../../shared/domain/records';
import { queueStatuses, type QueueItem, type QueueOperation } from '../../shared/domain/queue';
import { OutpostError } from '../../shared/errors';
import { paging, type StoreCore } from './core';
import { QueueAcks } from './queue-ack';
import { QueueFailures } from './queue-failure';
import { QueueLeases } from './queue-lease';
import { PendingItems, type ReturnFields } from './queue-pending';
import { toQueueItem, type QueueRow } from './queue-rows';
import { PushedSnapshots } from './queue-snapshots';
import type { Shadows } from './shadow';
import type { Ack, ChangeRef, Failure, LeaseOptions, LeaseResult, Page, PushConflict, QueueListQuery, ShadowState } from './types';

/**
 * The durable outgoing queue, one facade over its jobs: pending items and coalescing (queue-pending.ts),
 * leases, the change id and releases (queue-lease.ts), acks (queue-ack.ts), failures and retries
 * (queue-failure.ts). The store owns every lease: its state is the sync_queue row (status, lease_id,
 * change_id) plus the pushed snapshot held in memory until the ack (queue-snapshots.ts); callers name a leased
 * item by its queue id and the change id it was leased under, and the queue checks both against the table.
 */
export class SyncQueue {
  private readonly pending: PendingItems;
  private readonly leases: QueueLeases;
  private readonly acks: QueueAcks;
  private readonly failures: QueueFailures;

  constructor(
    private readonly core: StoreCore,
    shadows: Shadows,
  ) {
    const snapshots = new PushedSnapshots(core);
    this.pending = new PendingItems(core, snapshots);
    this.leases = new QueueLeases(core, this.pending, snapshots);
    this.acks = new QueueAcks(core, shadows, snapshots);
    this.failures = new QueueFailures(core, this.pending, this.leases, snapshots);
  }

  /** Records a local change of a record in the same transaction as the write (coalescing into its pending item). */
  enqueue(table: SyncedTable, recordId: string, op: QueueOperation, priority: number, blocked: boolean, now: string): void {
    this.pending.enqueue(table, recordId, op, priority, blocked, now);
  }
  pendingOf(table: SyncedTable, recordId: string): QueueRow | undefined {
    return this.pending.pendingOf(table, recordId);
  }
  byId(id: number): QueueRow | undefined {
    return this.pending.byId(id);
  }
  /** An item (leased or failed) back to pending, merged into a newer pending item of its record if there is one. */
  returnToPending(item: QueueRow, fields: ReturnFields): number {
    return this.pending.returnToPending(item, fields);
  }

  lease(options: LeaseOptions): LeaseResult {
    return this.leases.lease(options);
  }
  /** Leased items back to pending: all of them, or one lease's (change ids kept). */
  release(leaseId?: string): number {
    return this.leases.release(leaseId);
  }
  /** Exactly the named items back to pending, each only while still leased under the change id named. */
  releaseChanges(refs: readonly ChangeRef[]): number {
    return this.leases.releaseChanges(refs);
  }
  releaseClockHolds(): number {
    return this.leases.releaseClockHolds();
  }
  /** The push conflicts whose items are still leased under the change id they name (the others are stale). */
  stillLeased(conflicts: readonly PushConflict[]): PushConflict[] {
    return conflicts.filter((c) => this.leases.leasedUnder(c.queueId, c.changeId) !== undefined);
  }

  ack(acks: Ack[]): { acked: number } {
    return this.acks.ack(acks);
  }
  /** Completes one leased item whose state is on the hub (a push conflict that turned out to be our own state). */
  complete(item: QueueRow, seq: number | null, onHub: ShadowState, rowHlc: string, now: string): void {
    this.acks.complete(item, seq, onHub, rowHlc, now);
  }

  fail(failures: Failure[]): { retrying: number; failed: number } {
    return this.failures.fail(failures);
  }
  retry(ids?: number[]): { retried: number } {
    return this.failures.retry(ids);
  }

  list(query: QueueListQuery = {}): Page<QueueItem> {
    const { offset, limit } = paging(query.offset, query.limit);
    const status = query.status;
    if (status !== undefined && !queueStatuses.includes(status)) {
      throw new OutpostError('invalid_input', `Unknown queue status ${JSON.stringify(String(status))}: expected ${queueStatuses.join(', ')}.`);
    }
    const where = status ? 'WHERE status = ?' : '';
    const order = status === 'pending' || status === 'processing' ? 'priority DESC, created_at, id' : 'id DESC';
    const params = status ? [status] : [];
    const rows = this.core.stmt(`SELECT * FROM sync_queue ${where} ORDER BY ${order} LIMIT ? OFFSET ?`).all(...params, limit, offset) as QueueRow[];
    const total = (this.core.stmt(`SELECT count(*) AS n FROM sync_queue ${where}`).get(...params) as { n: number }).n;
    return { items: rows.map(toQueueItem), total, offset, limit };
  }
}
