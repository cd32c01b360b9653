import type { ConflictStatus } from '../../shared/domain/conflicts';
import type { JsonObject, Page, SyncedTable } from '../../shared/domain/records';
import type { ConflictListQuery, RecordConflict, RecordConflictDetail, ResolveInput } from '../store/types';

/**
 * What the conflict service needs from the edge store (main/store): its conflict rows, and the resolution
 * write (a local write whose vector descends from both sides). The EdgeStore provides these; tests may pass
 * the store's parts directly.
 */
export interface RecordConflictStore {
  listConflicts(query: ConflictListQuery): Page<RecordConflict>;
  getConflict(id: number): RecordConflictDetail;
  resolveConflict(id: number, input: ResolveInput): RecordConflictDetail;
  undoResolution(id: number): RecordConflictDetail;
  /** marks an open conflict escalated (still unresolved); absent in stores that cannot */
  escalateConflict?(id: number): RecordConflictDetail;
  /** keep-both: writes the remote version as a new record under `copyId` (a local create that syncs; idempotent) */
  createRecordCopy?(table: SyncedTable, copyId: string, data: JsonObject): unknown;
  /** runs fn in one store transaction (keep-both: the copy and the resolution commit together) */
  batch?<T>(fn: () => T): T;
}

/** A workspace (Git) text conflict, as the workspace engine reports it. */
export interface TextConflict {
  id: string; // without the `w:` prefix
  path: string;
  type: 'modify-modify' | 'modify-delete' | 'binary' | 'twin';
  /**
   * twin: the remote's path that this one (`path`) differs from only in letter case or Unicode normalization; the
   * kept text is saved under it and `path` goes. null: the remote holds a folder there, so only its side can be kept.
   */
  twinPath?: string | null;
  status: ConflictStatus;
  detectedAt: string;
  resolvedAt: string | null;
  strategy: string | null;
  resolvedBy: string | null;
  base: string | null;
  local: string | null; // null: deleted on this side
  remote: string | null;
  resolved: string | null;
  /** the workspace engine's merge proposal (conflict hunks holding the local side), when it has one */
  merged?: string | null;
  /** the Git blob id of `local` (null: deleted, or binary): what a resolution built from `local` says it saw */
  localHash?: string | null;
}

/** What the conflict service needs from the workspace engine (main/workspace) for text conflicts. */
export interface TextConflictSource {
  list(query: { status?: ConflictStatus; offset: number; limit: number }): Promise<Page<TextConflict>> | Page<TextConflict>;
  get(id: string): Promise<TextConflict> | TextConflict;
  /**
   * `text: null` resolves by deleting the file. `expectedLocalHash`: the text was built from this local side (see
   * TextConflict.localHash); when the local side is another now, nothing is resolved (a `conflict` error).
   */
  resolve(
    id: string,
    resolution: { text: string | null; strategy: string; resolvedBy: string; expectedLocalHash?: string | null },
  ): Promise<TextConflict> | TextConflict;
  escalate?(id: string): Promise<TextConflict> | TextConflict;
}
