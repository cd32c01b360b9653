import type { JsonObject, VersionVector } from '../../shared/domain/records';
import type { StoreCore } from './core';
import type { SyncOp } from './types';

/**
 * What a leased item pushed, held in memory from lease to ack so the ack records exactly that as the shadow (the
 * row may have changed meanwhile). Only its identity (op, hlc) goes to sync_queue.data: writing the whole state
 * into every leased queue row grew each row by its record's size and cost more than the rest of the lease.
 * Leases never outlive the process (the store releases them all at open), so neither do snapshots.
 */
export interface PushedSnapshot {
  op: SyncOp;
  data: JsonObject | null;
  vv: VersionVector;
  hlc: string;
  nodeId: string;
}

/** Past this many held snapshots, leasing drops those whose items are no longer leased (a bound, not a cache). */
const MAX_HELD_SNAPSHOTS = 50_000;

/** The snapshots of leased items, by queue id. */
export class PushedSnapshots {
  private readonly byQueueId = new Map<number, PushedSnapshot>();

  constructor(private readonly core: StoreCore) {}

  hold(queueId: number, snapshot: PushedSnapshot): void {
    this.byQueueId.set(queueId, snapshot);
  }

  /** The snapshot of an item whose lease ends (acked), forgotten as it is handed out. */
  take(queueId: number): PushedSnapshot | undefined {
    const snapshot = this.byQueueId.get(queueId);
    this.byQueueId.delete(queueId);
    return snapshot;
  }

  drop(queueId: number): void {
    this.byQueueId.delete(queueId);
  }

  /** Drops the snapshots of items no longer leased (their lease ended by a path that did not drop them) once
   * there are many. */
  bound(): void {
    if (this.byQueueId.size <= MAX_HELD_SNAPSHOTS) return;
    const leased = new Set((this.core.stmt(`SELECT id FROM sync_queue WHERE status = 'processing'`).all() as Array<{ id: number }>).map((r) => r.id));
    for (const id of this.byQueueId.keys()) if (!leased.has(id)) this.byQueueId.delete(id);
  }
}
