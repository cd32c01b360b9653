import type { SyncedTable } from './records';

/** Record conflicts come from the sync of SQLite rows; text conflicts from merging the Git workspace. */
export type ConflictKind = 'record' | 'text';
export type RecordConflictType = 'update-update' | 'delete-update' | 'create-create';
export type ConflictStatus = 'pending' | 'resolved' | 'escalated';

export interface ConflictSummary {
  id: string; // `r:<n>` for record conflicts, `w:<id>` for workspace text conflicts
  kind: ConflictKind;
  type: RecordConflictType | 'modify-modify' | 'modify-delete' | 'binary';
  table: SyncedTable | 'workspace';
  recordId: string; // record id, or the workspace path
  status: ConflictStatus;
  detectedAt: string;
  resolvedAt: string | null;
  strategy: string | null;
  resolvedBy: string | null;
}

export interface Suggestion {
  choice: 'local' | 'remote' | 'merge';
  data: unknown;
  confidence: number;
  tradeoff: string;
}

export interface ConflictDetail extends ConflictSummary {
  base: unknown;
  local: unknown;
  remote: unknown;
  resolved: unknown;
  suggestions: Suggestion[];
}
