import type { QueueStats } from '../../shared/domain/queue';
import type { SyncedTable } from '../../shared/domain/records';
import type { Ack, ApplyResult, ChangeRef, Failure, LeaseOptions, LeaseResult, PushConflict, RemoteChange, ShadowState } from '../store/types';

/**
 * What the sync host needs from the edge store (main/store), and nothing more. The EdgeStore satisfies it;
 * tests may pass the real store too. Every method runs in one store transaction.
 */
export interface SyncStorePort {
  leaseBatch(options: LeaseOptions): LeaseResult;
  /** acks, failures, releases and push conflicts count only for items still leased under the change id they name */
  ackChanges(acks: Ack[]): { acked: number };
  failChanges(failures: Failure[]): { retrying: number; failed: number };
  /** back to pending: one lease's items, or every leased item when no lease id is given (the worker is gone) */
  releaseLeases(leaseId?: string): number;
  /** back to pending: exactly these items */
  releaseChanges(refs: ChangeRef[]): number;
  recordPushConflicts(conflicts: PushConflict[]): unknown;
  /** applies pulled changes and, in the same transaction, moves the pull cursor */
  applyRemoteChanges(changes: RemoteChange[], cursor?: number): ApplyResult;
  getCursor(): number;
  getShadow(table: SyncedTable, recordId: string): ShadowState | null;
  /** queue and conflict counts (the status, queue.stats and conflicts.changed events) */
  stats(): QueueStats;
}
