import type { Agent, ChangeOrigin, Execution, JsonObject, Page, SyncedTable, VersionVector, Workflow } from '../../shared/domain/records';
import type { QueueItem, QueueStats, QueueStatus } from '../../shared/domain/queue';
import type { ConflictStatus, RecordConflictType } from '../../shared/domain/conflicts';
import type { Settings } from '../../shared/domain/settings';
import type { HybridClock } from '../../shared/sync/hlc';
import type { OverriddenWrite, RecordState } from '../../shared/sync/wire';
import type { Logger } from '../../lib/log';
import type { TableDecls } from '../../shared/tables/index';
import type { CreateInput, ListQuery, PatchOf, StoredRecord, UpdateInput } from '../../shared/tables/table';

export type { Agent, Execution, Page, Workflow, QueueItem, QueueStats };

export interface EdgeStoreOptions {
  /** the SQLite file (created if missing; its folder must exist) */
  path: string;
  nodeId: string;
  clock: HybridClock;
  /** read at most once a second on hot paths */
  settings: () => Settings;
  /**
   * Called after every committed transaction that changed something, with the tables touched (synced tables,
   * plus `sync_queue` and `conflict_resolution` when those changed) and the record ids written.
   */
  /** after each committed write: the tables and ids it touched, and whether sync applied it (origin 'remote') */
  onChange?: (tables: string[], ids: string[], origin: ChangeOrigin) => void;
  log?: Logger;
}

// ---- repositories ------------------------------------------------------------------------------------

/** The API-facing inputs of each table, derived from its declaration (shared/tables/). */
type Decl<T extends SyncedTable> = TableDecls[T];
export type ListQueryOf<T extends SyncedTable> = ListQuery<Decl<T>>;
export type CreateOf<T extends SyncedTable> = CreateInput<Decl<T>>;
export type PatchFor<T extends SyncedTable> = PatchOf<Decl<T>>;
export type RecordOf<T extends SyncedTable> = StoredRecord<Decl<T>>;
export type { UpdateInput };

export type AgentPatch = PatchFor<'agents'>;

/** One synced table's records, as the API methods `<table>.list/get/create/update/delete` use them. */
export interface TableStore<T extends SyncedTable> {
  list(query?: ListQueryOf<T>): Page<RecordOf<T>>;
  get(id: string): RecordOf<T>;
  create(input: CreateOf<T>): RecordOf<T>;
  update(input: UpdateInput<PatchFor<T>>): RecordOf<T>;
  delete(id: string, expectedVersion?: number): { id: string; deleted: true };
}

// ---- queue -------------------------------------------------------------------------------------------

export interface QueueListQuery {
  status?: QueueStatus;
  offset?: number;
  limit?: number;
}

/** QueueStats plus the storage limit state (warn policy flags it here). */
export interface StoreStats extends QueueStats {
  storage: { limitBytes: number | null; policy: Settings['storage']['policy']; overLimit: boolean };
}

// ---- sync-facing -------------------------------------------------------------------------------------

export type SyncOp = 'upsert' | 'delete';

/** One change to push, built at lease time from the record's current row. */
export interface OutgoingChange {
  queueId: number;
  /** the one id of this push, to the hub and back: names the write (change-id.ts), kept while the same state is
   * leased again (the hub answers `duplicate`); the answers for this item name it */
  changeId: string;
  table: SyncedTable;
  recordId: string;
  op: SyncOp;
  data: JsonObject | null; // domain fields, camelCase; null for a delete
  vv: VersionVector;
  hlc: string;
  nodeId: string; // the last writer
  priority: number;
  baseVv: VersionVector | null; // the shadow's vv: what this change builds on, as far as the hub knows
  baseData: JsonObject | null;
  /** the writes of other nodes this state replaced by resolving a conflict (absent: none) */
  overrode?: OverriddenWrite[];
}

export interface LeaseOptions {
  limit: number;
  leaseMs: number;
  criticalOnly?: boolean;
}
export interface LeaseResult {
  /** names the batch (releaseLeases(leaseId)); distinct from each change's changeId */
  leaseId: string;
  changes: OutgoingChange[];
}

/** A leased item as an answer for it names it: its queue id and the change id it was leased under. */
export interface ChangeRef {
  queueId: number;
  changeId: string;
}

export interface Ack {
  queueId: number;
  seq: number;
  /** when given, the ack only applies if the item is still leased under this change id */
  changeId?: string;
}
export interface Failure {
  queueId: number;
  /** when given, the failure only counts if the item is still leased under this change id */
  changeId?: string;
  error: string;
  retryAt: Date | null;
  /** 4xx-style errors that retrying will not fix: straight to failed */
  permanent?: boolean;
  /** false: kept pending without counting an attempt (the refusal was about the node, not the change) */
  countAttempt?: boolean;
}

export interface PushConflict {
  queueId: number;
  /** when given, the conflict only counts if the item is still leased under this change id */
  changeId?: string;
  remote: RecordState;
}

/** A full remote state as pulled (the sync engine expands deltas before calling the store). */
export interface RemoteChange {
  table: SyncedTable;
  recordId: string;
  op: SyncOp;
  data: JsonObject | null;
  vv: VersionVector;
  hlc: string;
  nodeId: string;
  seq: number;
  /** the writes this one replaced by a resolution; the store records those of this node (see RemoteApplier) */
  overrode?: readonly OverriddenWrite[];
}

export interface ApplyResult {
  applied: number;
  skipped: number;
  conflicts: number;
  /** ids of conflict rows written or updated */
  conflictIds: number[];
}

export interface ShadowState {
  data: JsonObject | null;
  vv: VersionVector;
  hlc: string;
  deleted: boolean;
}

// ---- conflicts ---------------------------------------------------------------------------------------

export interface RecordConflict {
  id: number;
  table: SyncedTable;
  recordId: string;
  type: RecordConflictType;
  status: ConflictStatus;
  detectedAt: string;
  resolvedAt: string | null;
  strategy: string | null;
  resolvedBy: string | null;
  confidence: number | null;
  automatic: boolean;
  /** the paths of this node's edits the resolution replaced ([]: its whole write); null: none were */
  lostFields: string[] | null;
  /** the node that resolved it, when another node did (its resolved write said so); null: this node */
  resolvedOn: string | null;
}

export interface RecordConflictDetail extends RecordConflict {
  base: JsonObject | null; // null: no shared base (create-create) or the base was a delete
  local: JsonObject | null; // null: deleted locally
  remote: JsonObject | null; // null: deleted remotely
  localVv: VersionVector;
  remoteVv: VersionVector;
  localHlc: string | null;
  remoteHlc: string;
  remoteNodeId: string;
  resolved: JsonObject | null;
  replaced: JsonObject | null;
}

export interface ConflictListQuery {
  status?: ConflictStatus;
  table?: SyncedTable;
  /** only resolutions made automatically (true) or only the rest (false) */
  automatic?: boolean;
  /** one record's conflicts: its history of them */
  recordId?: string;
  /** only resolutions that replaced edits of this node (true) or only the rest (false) */
  lost?: boolean;
  offset?: number;
  limit?: number;
}

export interface ResolveInput {
  /** the full record data to keep, or null to delete the record */
  resolvedData: JsonObject | null;
  strategy: string;
  resolvedBy: string; // 'system' or a person
  confidence?: number;
  automatic: boolean;
}

export interface MaintenanceReport {
  prunedQueueItems: number;
  prunedConflicts: number;
  freedPages: number;
  databaseBytes: number;
}
