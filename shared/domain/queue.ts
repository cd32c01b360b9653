import { z } from 'zod';
import type { SyncedTable } from './records';

export const queueStatuses = ['pending', 'processing', 'completed', 'failed'] as const;
export type QueueStatus = (typeof queueStatuses)[number];
export const queueStatusSchema = z.enum(queueStatuses);

export type QueueOperation = 'INSERT' | 'UPDATE' | 'DELETE';

export interface QueueItem {
  id: number;
  table: SyncedTable;
  recordId: string;
  operation: QueueOperation;
  priority: number; // 1-10, higher first
  attempts: number;
  maxAttempts: number;
  status: QueueStatus;
  createdAt: string;
  lastAttempt: string | null;
  nextAttemptAt: string | null;
  errorMessage: string | null;
}

export interface QueueStats {
  byStatus: Record<QueueStatus, number>;
  byPriority: Array<{ priority: number; count: number }>; // pending + processing, priority descending
  oldestPendingAgeMs: number | null;
  /** live records per synced table */
  records: Record<SyncedTable, number>;
  conflictsByStatus: Record<'pending' | 'resolved' | 'escalated', number>;
  /** resolved conflicts that replaced an edit made here without a person here choosing it (see conflicts.list lost) */
  editsReplaced: number;
  databaseBytes: number;
  /** the storage limit (settings storage.*) and whether the database is over it */
  storage: { limitBytes: number | null; policy: 'warn' | 'error' | 'prune'; overLimit: boolean };
}
