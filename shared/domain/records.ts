import { z } from 'zod';
import { syncedTables, type TableDecls } from '../tables/index';
import type { StoredRecord } from '../tables/table';

/*
 * The records' domain as every process sees it. Each table's fields live in its declaration
 * (shared/tables/<table>.ts); the types here are derived from those.
 */
export { syncedTables, type SyncedTable } from '../tables/index';
export { recordIdSchema, jsonObjectSchema, type JsonObjectInput } from '../tables/schemas';
export type { JsonObject } from '../tables/field';
export { agentStatuses, type AgentStatus } from '../tables/agents';
export { workflowStatuses } from '../tables/workflows';
export { executionStatuses } from '../tables/executions';

/** Who made a change to the records: a write on this node, or the hub's states applied by sync. */
export type ChangeOrigin = 'local' | 'remote';
export const syncedTableSchema = z.enum(syncedTables);

/** Row sync state as shown to a person. */
export const rowSyncStatuses = ['pending', 'synced', 'conflict', 'error'] as const;
export type RowSyncStatus = (typeof rowSyncStatuses)[number];

/** A version vector: node id -> number of writes by that node the record has seen. */
export type VersionVector = Record<string, number>;

/** What every synced row carries for sync. */
export interface SyncMeta {
  version: number; // local optimistic-concurrency counter
  hlc: string; // hybrid logical clock of the last write
  nodeId: string; // last writer
  vv: VersionVector;
  syncStatus: RowSyncStatus;
  lastSync: string | null;
}

export type Agent = StoredRecord<TableDecls['agents']>;
export type Workflow = StoredRecord<TableDecls['workflows']>;
export type Execution = StoredRecord<TableDecls['executions']>;
export type AgentState = StoredRecord<TableDecls['agent_states']>;

export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number;
}
