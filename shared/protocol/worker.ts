import { z } from 'zod';
import { rpcMessageSchema } from './rpc';
import { recordIdSchema, syncedTableSchema } from '../domain/records';
import { fastArray } from './validate';
import {
  cursorSchema,
  hlcSchema,
  nodeIdSchema,
  overrodeSchema,
  pulledChangeSchema,
  recordStateSchema,
  versionVectorSchema,
} from '../sync/wire';

/**
 * The one message protocol between main (owns the databases) and the sync worker (owns the network). Every
 * message is a discriminated union member, validated on receipt on both sides. Requests and their answers travel
 * as `rpc` messages (shared/protocol/rpc.ts): main serves `store` (params: a StoreCall, answered with
 * StoreResults[op]), the worker serves `sync-now` (answered with a cycle result).
 */

export const workerConfigSchema = z
  .object({
    hubUrl: z.url().nullable(),
    token: z.string().max(500).nullable(),
    nodeId: nodeIdSchema,
    mode: z.enum(['manual', 'auto', 'periodic', 'realtime']),
    paused: z.boolean(),
    intervalMs: z.number().int().min(10),
    debounceMs: z.number().int().min(0),
    batchSize: z.number().int().min(1).max(5000),
    metered: z.boolean(),
    capBytesPerSec: z.number().int().positive().nullable(),
    dailyQuotaBytes: z.number().int().positive().nullable(),
    criticalReserveBytes: z.number().int().min(0),
    compressionThresholdBytes: z.number().int().min(0),
    requestTimeoutMs: z.number().int().min(100).default(30_000),
    /** bytes already used today (UTC), carried across worker restarts */
    usage: z.object({ day: z.string().max(10), wireBytes: z.number().min(0) }).strict(),
  })
  .strict();
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

/**
 * Record data crossing the process boundary, checked for shape only: its values were checked as JSON where they
 * entered (the hub's answers against the wire schemas in the worker; local writes by the store), and the store
 * validates every record it applies. A deep JSON check per hop cost more than the store write itself.
 */
const relayedDataSchema = z.record(z.string().max(256), z.unknown());
export const relayedPulledChangeSchema = pulledChangeSchema.extend({
  data: relayedDataSchema.optional(),
  patch: z.object({ set: relayedDataSchema, unset: z.array(z.string().max(256)).max(1000) }).strict().optional(),
});
export const relayedRecordStateSchema = recordStateSchema.extend({ data: relayedDataSchema.nullable() });
type RelayedPulledChange = z.infer<typeof relayedPulledChangeSchema>;
type RelayedRecordState = z.infer<typeof relayedRecordStateSchema>;

/*
 * The arrays of an `apply` call (a page of up to 10,000 pulled changes) and of a lease (up to 5,000 changes, on
 * every push batch) are checked by validators derived from their declarations (`fastArray`): zod cost about
 * 6 µs a record (it walks and copies every object), the derived check under 1. What it does not accept goes to
 * zod, whose verdict and message stand.
 */

/** A leased queue item, ready to push: main reads the row, its version and its shadow (the last synced state). */
export const outgoingChangeSchema = z
  .object({
    queueId: z.number().int().positive(),
    changeId: z.uuid(),
    table: syncedTableSchema,
    recordId: recordIdSchema,
    op: z.enum(['upsert', 'delete']),
    priority: z.number().int().min(1).max(10),
    hlc: hlcSchema,
    vv: versionVectorSchema,
    nodeId: nodeIdSchema,
    baseVv: versionVectorSchema.nullable(),
    data: relayedDataSchema.nullable(),
    /** the shadow's data, the base a patch is computed against (null: send the full state) */
    baseData: relayedDataSchema.nullable(),
    overrode: overrodeSchema.optional(),
  })
  .strict();
export type OutgoingChange = z.infer<typeof outgoingChangeSchema>;

export const recordKeySchema = z.object({ table: syncedTableSchema, recordId: recordIdSchema }).strict();
export type RecordKey = z.infer<typeof recordKeySchema>;

/** What the worker may ask of main's store. An answer for a leased item (ack, fail, release, conflicts) names it by
 * queue id and the change id it was leased under; the store ignores it when the item is no longer leased under it. */
export const storeCallSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('lease'), limit: z.number().int().min(1).max(5000), minPriority: z.number().int().min(1).max(10) }).strict(),
  z.object({ op: z.literal('ack'), items: z.array(z.object({ queueId: z.number().int().positive(), changeId: z.uuid(), seq: cursorSchema }).strict()).max(5000) }).strict(),
  z
    .object({
      op: z.literal('fail'),
      items: z
        .array(
          z
            .object({
              queueId: z.number().int().positive(),
              changeId: z.uuid(),
              message: z.string().max(2000),
              /** a 4xx-style refusal: straight to failed; otherwise one attempt is counted and it is retried later */
              permanent: z.boolean(),
              retryInMs: z.number().int().min(0).nullable(),
              /** false: the refusal says nothing about the change (the node's clock): pending again, no attempt counted */
              countAttempt: z.boolean().optional(),
            })
            .strict(),
        )
        .max(5000),
    })
    .strict(),
  z.object({ op: z.literal('release'), items: z.array(z.object({ queueId: z.number().int().positive(), changeId: z.uuid() }).strict()).max(5000) }).strict(),
  z
    .object({
      op: z.literal('conflicts'),
      items: z.array(z.object({ queueId: z.number().int().positive(), changeId: z.uuid(), current: relayedRecordStateSchema }).strict()).max(5000),
    })
    .strict(),
  z.object({ op: z.literal('cursor') }).strict(),
  /** applies pulled changes (patches resolved against the local shadows) and moves the cursor, in one transaction */
  z
    .object({
      op: z.literal('apply'),
      changes: fastArray<RelayedPulledChange>(relayedPulledChangeSchema, 10_000),
      /** full hub states for records whose patch base this node does not hold */
      fullStates: fastArray<RelayedRecordState>(relayedRecordStateSchema, 10_000),
      cursor: cursorSchema,
    })
    .strict(),
]);
export type StoreCall = z.infer<typeof storeCallSchema>;
export type StoreOp = StoreCall['op'];

export interface StoreResults {
  lease: { items: OutgoingChange[] };
  ack: { acked: number };
  fail: { failed: number };
  release: { released: number };
  conflicts: { conflictIds: number[] };
  cursor: { cursor: number };
  apply:
    | { status: 'applied'; applied: number; skipped: number; conflicts: number }
    /** nothing applied: these records' patches have a base this node does not hold; fetch their full states */
    | { status: 'need-full'; keys: RecordKey[] };
}

export const storeResultSchemas = {
  lease: z.object({ items: fastArray<OutgoingChange>(outgoingChangeSchema, 5000) }).strict(),
  ack: z.object({ acked: z.number().int().min(0) }).strict(),
  fail: z.object({ failed: z.number().int().min(0) }).strict(),
  release: z.object({ released: z.number().int().min(0) }).strict(),
  conflicts: z.object({ conflictIds: z.array(z.number().int()) }).strict(),
  cursor: z.object({ cursor: cursorSchema }).strict(),
  apply: z.discriminatedUnion('status', [
    z.object({ status: z.literal('applied'), applied: z.number().int().min(0), skipped: z.number().int().min(0), conflicts: z.number().int().min(0) }).strict(),
    z.object({ status: z.literal('need-full'), keys: z.array(recordKeySchema).max(10_000) }).strict(),
  ]),
} satisfies { [K in StoreOp]: z.ZodType<StoreResults[K]> };

export const cycleResultSchema = z
  .object({
    pushed: z.number().int().min(0),
    pulled: z.number().int().min(0),
    conflicts: z.number().int().min(0),
    failed: z.number().int().min(0),
    bytesRaw: z.number().min(0),
    bytesWire: z.number().min(0),
    durationMs: z.number().min(0),
  })
  .strict();

/** What the worker knows about the link; main derives the shown state from it (shared/sync/sync-state.ts). */
export const workerStatusSchema = z
  .object({
    reachable: z.boolean().nullable(),
    cycleRunning: z.boolean(),
    /** refused credentials: retrying will not help until the token changes */
    authError: z.string().max(2000).nullable(),
    /** the hub refused this node's changes as stamped too far ahead of its clock: they stay queued until it is right */
    clockError: z.string().max(2000).nullable(),
    lastError: z.string().max(2000).nullable(),
    lastSyncAt: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    throughput: z.object({ pushedPerSec: z.number().min(0), pulledPerSec: z.number().min(0) }).strict(),
    /** totals since the node started */
    bytes: z.object({ raw: z.number().min(0), wire: z.number().min(0) }).strict(),
    usage: z.object({ day: z.string().max(10), wireBytes: z.number().min(0) }).strict(),
  })
  .strict();
export type WorkerStatus = z.infer<typeof workerStatusSchema>;

/**
 * What a new hub URL or token makes unknown again: whether the hub answers, takes the token and the node's
 * clock, and (for another hub) when this node last synced with it. Main applies it at once so its answer to a
 * settings change never shows the old link's state; the worker applies it and then learns the new state.
 */
export function statusAfterLinkChange(status: WorkerStatus, hubChanged: boolean): WorkerStatus {
  return { ...status, reachable: null, authError: null, clockError: null, ...(hubChanged ? { lastSyncAt: null } : {}) };
}

/** The methods each side serves over the `rpc` messages. */
export const MAIN_METHODS = { store: 'store' } as const;
export const WORKER_METHODS = { syncNow: 'sync-now' } as const;

const rpcEnvelope = z.object({ type: z.literal('rpc'), message: rpcMessageSchema }).strict();

export const mainToWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('configure'), config: workerConfigSchema }).strict(),
  /** a local write happened (auto and realtime modes react) */
  z.object({ type: z.literal('local-write') }).strict(),
  /** the OS says the network changed (Electron's online event): probe the hub now instead of waiting out the backoff */
  z.object({ type: z.literal('network-changed') }).strict(),
  /** calls of `sync-now` and the answers to the worker's `store` calls */
  rpcEnvelope,
  /** finish the in-flight batch (or release its leases) within the deadline, then exit */
  z.object({ type: z.literal('shutdown'), deadlineMs: z.number().int().min(0).max(600_000) }).strict(),
  /** other worker modules (Git) talk over named channels */
  z.object({ type: z.literal('channel'), channel: z.string().min(1).max(64), payload: z.unknown() }).strict(),
]);
export type MainToWorker = z.infer<typeof mainToWorkerSchema>;

export const workerToMainSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }).strict(),
  /** `store` calls and the answers to main's `sync-now` */
  rpcEnvelope,
  z.object({ type: z.literal('status'), status: workerStatusSchema }).strict(),
  z
    .object({
      type: z.literal('log'),
      level: z.enum(['debug', 'info', 'warn', 'error']),
      msg: z.string().max(4000),
      fields: z.record(z.string(), z.unknown()).optional(),
    })
    .strict(),
  z.object({ type: z.literal('shutdown-complete') }).strict(),
  z.object({ type: z.literal('channel'), channel: z.string().min(1).max(64), payload: z.unknown() }).strict(),
]);
export type WorkerToMain = z.infer<typeof workerToMainSchema>;

/** Validates an incoming message; a bad one is reported, never acted on. */
export function parseMessage<T>(schema: z.ZodType<T>, message: unknown): { ok: true; value: T } | { ok: false; error: string } {
  const parsed = schema.safeParse(message);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'message'}: ${i.message}`);
  return { ok: false, error: `malformed message: ${issues.join('; ')}` };
}

/** One named message channel between main and a worker module (the Git engine), as main's side sees it. */
export interface WorkerChannel {
  post(payload: unknown): void;
  on(listener: (payload: unknown) => void): () => void;
  /** a worker that was sent this channel's messages exited: nothing it was asked will be answered (absent: a
   * channel with no worker process behind it, as in tests) */
  onWorkerExit?(listener: () => void): () => void;
}
