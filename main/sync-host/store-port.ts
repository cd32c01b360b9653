import type { QueueStats } from '../../shared/domain/queue';
import type { SyncedTable } from '../../shared/domain/records';
import type { Ack, ApplyResult, Failure, LeaseOptions, LeaseResult, PushConflict, RemoteChange, ShadowState } from '../store/types';

/**
 * What the sync host needs from the edge store (main/store), and nothing more. The EdgeStore satisfies it;
 * tests may pass the real store too. Every method runs in one store transaction.
 */
export interface SyncStorePort {
  leaseBatch(options: LeaseOptions): LeaseResult;
  ackChanges(acks: Ack[]): unknown;
  failChanges(failures: Failure[]): unknown;
  /** back to pending: the given items, or every leased item when no ids are given */
  releaseLeases(queueIds?: number[]): number;
  recordPushConflicts(conflicts: PushConflict[]): unknown;
  applyRemoteChanges(changes: RemoteChange[]): ApplyResult;
  getCursor(): number;
  setCursor(cursor: number): void;
  getShadow(table: SyncedTable, recordId: string): ShadowState | null;
  queueStats(): QueueStats;
  /** pending conflicts (for the conflicts.changed event) */
  pendingConflicts(): number;
  /** runs fn in one transaction (the store's `batch`) */
  transaction<T>(fn: () => T): T;
}
