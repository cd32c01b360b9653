import { z } from 'zod';

/** Synced tables, in dependency order: an agent before the workflows that reference it, a workflow before its executions. */
export const syncedTables = ['agents', 'workflows', 'executions'] as const;
export type SyncedTable = (typeof syncedTables)[number];
/** Who made a change to the records: a write on this node, or the hub's states applied by sync. */
export type ChangeOrigin = 'local' | 'remote';
export const syncedTableSchema = z.enum(syncedTables);

/** Record ids: short, printable, no path or SQL metacharacters. Ids come from callers and from the hub. */
export const recordIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'ids may only contain letters, digits and _ . : -');

/** A JSON object of bounded depth; configs and definitions are free-form but never huge or deeply nested. */
export const jsonObjectSchema = z.record(z.string().max(256), z.json());
export type JsonObject = Record<string, unknown>;
/** A JSON object as the API's input schemas accept it. */
export type JsonObjectInput = z.input<typeof jsonObjectSchema>;

export const agentStatuses = ['inactive', 'active', 'running', 'processing', 'paused', 'error', 'critical'] as const;
export const agentStatusSchema = z.enum(agentStatuses);
export type AgentStatus = (typeof agentStatuses)[number];

export const workflowStatuses = ['draft', 'active', 'paused', 'archived', 'critical'] as const;
export const executionStatuses = ['queued', 'running', 'completed', 'failed', 'cancelled', 'critical'] as const;

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

export interface Agent extends SyncMeta {
  id: string;
  name: string;
  type: string;
  status: AgentStatus;
  config: JsonObject;
  createdAt: string;
  updatedAt: string;
}

export interface Workflow extends SyncMeta {
  id: string;
  name: string;
  definition: JsonObject;
  status: (typeof workflowStatuses)[number];
  agentId: string | null;
  createdAt: string;
  updatedAt: string;
  lastExecution: string | null;
  executionCount: number;
}

export interface Execution extends SyncMeta {
  id: string;
  workflowId: string;
  status: (typeof executionStatuses)[number];
  inputData: JsonObject | null;
  outputData: JsonObject | null;
  errorMessage: string | null;
  startedAt: string | null;
  completedAt: string | null;
  durationMs: number | null;
  resourceUsage: JsonObject | null;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number;
}
