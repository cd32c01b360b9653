import { z } from 'zod';
import { recordIdSchema, syncedTableSchema } from '../domain/records';
import { jsonValueSchema, refineAs, withFastPath } from '../protocol/validate';
import { HLC, NODE_ID } from './hlc';

/**
 * The hub protocol (HTTP, JSON, optionally gzip/brotli bodies), versioned under /v1. The hub validates every
 * request with these schemas and the node validates every response with them: a hostile or corrupt hub answer
 * is refused, never applied.
 *
 *   POST   /v1/nodes            admin token  {name, nodeId?} -> {nodeId, token}
 *                                   (nodeId given: enrolls an existing node under its own id; refused if taken)
 *   GET    /v1/whoami           node token   -> {nodeId, name}
 *   DELETE /v1/nodes/:nodeId    admin token  -> {revoked: true}
 *   POST   /v1/push             node token   PushRequest -> PushResponse
 *   GET    /v1/pull?since=&limit=&delta=1   node token -> PullResponse  (the node's own changes are left out)
 *   POST   /v1/records          node token   {keys} -> {records: RecordState[]}  (full states, e.g. when a delta's base is unknown)
 *   GET    /v1/events           node token   text/event-stream: `event: changes` `data: {"seq": N}`
 *   GET    /health              none         {ok, version, database}
 *   /git/<workspace>.git/...    node token as HTTP basic password: Git smart HTTP
 *
 * Node tokens have the form `<nodeId>.<secret>`: a node learns its id from its token without a round trip
 * (`nodeIdFromToken`), and its writes carry that id in their version vectors, HLCs and `nodeId` fields.
 */

export const nodeIdSchema = z.string().regex(NODE_ID);
export const hlcSchema = z.string().regex(HLC);
export const versionVectorSchema = refineAs(
  z.record(nodeIdSchema, z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)),
  { maxProperties: 10_000 },
  'version vector too large',
);
export const recordDataSchema = z.record(z.string().max(256), jsonValueSchema);
export const cursorSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A field-level delta against the base state (`baseVv`): fields set and fields removed. */
export const patchSchema = z
  .object({ set: recordDataSchema, unset: z.array(z.string().max(256)).max(1000) })
  .strict();
export type Patch = z.infer<typeof patchSchema>;

/**
 * A resolution that replaced another node's write tells that node so, with the resolved write: the overridden
 * write (its author and clock), the fields whose value it lost ([] when what was lost is the write as a whole: a
 * delete undone, or an update deleted), and how it was decided. The author checks it against its own row (see
 * main/store/remote.ts): a note naming a write it does not hold, or a field that did not change, is ignored.
 */
export const overriddenWriteSchema = z
  .object({
    nodeId: nodeIdSchema,
    hlc: hlcSchema,
    fields: z.array(z.string().max(256)).max(1000),
    strategy: z.string().min(1).max(64),
    automatic: z.boolean(),
    confidence: z.number().min(0).max(1).nullable(),
  })
  .strict();
export type OverriddenWrite = z.infer<typeof overriddenWriteSchema>;
/** At most this many resolutions ride on one write (a record resolved again before its write was pushed). */
export const MAX_OVERRIDDEN = 16;
export const overrodeSchema = z.array(overriddenWriteSchema).min(1).max(MAX_OVERRIDDEN);

const changeBase = {
  changeId: z.uuid(),
  table: syncedTableSchema,
  recordId: recordIdSchema,
  hlc: hlcSchema,
  vv: versionVectorSchema,
  nodeId: nodeIdSchema, // the author
  /** the writes of other nodes this one replaced by resolving a conflict (absent: none) */
  overrode: overrodeSchema.optional(),
};

/**
 * One change. An upsert carries either the full `data` or a `patch` against `baseVv` (whichever is smaller);
 * a delete carries neither.
 */
const wireChangeFields = z
  .object({
    ...changeBase,
    op: z.enum(['upsert', 'delete']),
    priority: z.number().int().min(1).max(10),
    baseVv: versionVectorSchema.nullable(),
    data: recordDataSchema.optional(),
    patch: patchSchema.optional(),
  })
  .strict();
// The two rules below are stated as JSON Schema (refineAs) so the derived validator enforces them too; stated so
// that a full upsert, the common change, meets no failing branch (ajv builds an error object for each).
const oneOfDataAndPatch = refineAs(
  wireChangeFields,
  {
    dependencies: { data: { properties: { op: { const: 'upsert' }, patch: false } }, patch: { properties: { op: { const: 'upsert' } } } },
    anyOf: [{ required: ['data'] }, { required: ['patch'] }, { properties: { op: { const: 'delete' } } }],
  },
  'an upsert carries exactly one of data and patch; a delete carries neither',
);
export const wireChangeSchema = refineAs(oneOfDataAndPatch, { dependencies: { patch: { properties: { baseVv: { type: 'object' } } } } }, 'a patch needs its baseVv');
export type WireChange = z.infer<typeof wireChangeSchema>;

export const pushRequestSchema = z.object({ changes: z.array(wireChangeSchema).min(1).max(5000) }).strict();
export type PushRequest = z.infer<typeof pushRequestSchema>;

/** The hub's current state of one record. */
export const recordStateSchema = z
  .object({
    table: syncedTableSchema,
    recordId: recordIdSchema,
    data: recordDataSchema.nullable(),
    deleted: z.boolean(),
    vv: versionVectorSchema,
    hlc: hlcSchema,
    nodeId: nodeIdSchema,
    seq: cursorSchema,
  })
  .strict();
export type RecordState = z.infer<typeof recordStateSchema>;

/**
 * Why the hub refused a change for good or for now (a `rejected` push result's code). A forged vector claims a
 * counter of another node beyond what the hub holds for that record; a clock ahead stamps a time past the hub's
 * own by more than the hub allows (the change stays queued until the node's clock is right).
 */
export const REFUSAL = { forgedVv: 'forged_vv', clockAhead: 'clock_ahead', idTaken: 'conflict' } as const;

/** How a refusal is kept as a queue item's error (`code: message`), and how it is recognized there. */
export const refusalError = (code: string, message: string): string => `${code}: ${message}`;
export const refusalErrorPattern = (code: string): string => `${code.replace(/[%_\\]/g, '\\$&')}:%`;

export const pushResultSchema = z.discriminatedUnion('status', [
  z.object({ changeId: z.uuid(), status: z.literal('applied'), seq: cursorSchema }).strict(),
  z.object({ changeId: z.uuid(), status: z.literal('duplicate'), seq: cursorSchema }).strict(),
  /** the change does not descend from the hub's current state (or its patch base is not current) */
  z.object({ changeId: z.uuid(), status: z.literal('conflict'), current: recordStateSchema }).strict(),
  z.object({ changeId: z.uuid(), status: z.literal('rejected'), error: z.object({ code: z.string().max(64), message: z.string().max(2000) }).strict() }).strict(),
]);
export type PushResult = z.infer<typeof pushResultSchema>;

export const pushResponseSchema = z.object({ results: z.array(pushResultSchema).max(5000) }).strict();
export type PushResponse = z.infer<typeof pushResponseSchema>;

export const pulledChangeSchema = z
  .object({
    ...changeBase,
    seq: cursorSchema,
    op: z.enum(['upsert', 'delete']),
    baseVv: versionVectorSchema.nullable(),
    data: recordDataSchema.optional(),
    patch: patchSchema.optional(),
  })
  .strict();
export type PulledChange = z.infer<typeof pulledChangeSchema>;

export const pullResponseSchema = z
  .object({ changes: z.array(pulledChangeSchema).max(10_000), cursor: cursorSchema, hasMore: z.boolean() })
  .strict();
export type PullResponse = z.infer<typeof pullResponseSchema>;

/*
 * The hot paths take values that came out of JSON.parse: the hub's request bodies (after `findUnsafeJson`) and
 * the node's view of hub answers. Such a value is JSON by construction, so their validators, derived from the
 * schemas above (shared/protocol/validate.ts), do not walk record data; what they do not accept is zod's to
 * judge. Never use these on values from elsewhere (IPC, code): a Date in record data would pass.
 */
/** `pushRequestSchema` for a request body from JSON.parse (the hub's request path). */
export const parsedPushRequestSchema = withFastPath(pushRequestSchema, 'json');
/** `pullResponseSchema` for an answer from JSON.parse (the node's hub client). */
export const parsedPullResponseSchema = withFastPath(pullResponseSchema, 'json');
/** `pushResponseSchema` for an answer from JSON.parse (the node's hub client). */
export const parsedPushResponseSchema = withFastPath(pushResponseSchema, 'json');

export const recordsRequestSchema = z
  .object({ keys: z.array(z.object({ table: syncedTableSchema, recordId: recordIdSchema }).strict()).min(1).max(5000) })
  .strict();
export const recordsResponseSchema = z.object({ records: z.array(recordStateSchema).max(5000) }).strict();

export const enrollRequestSchema = z
  .object({ name: z.string().trim().min(1).max(100), nodeId: nodeIdSchema.optional() })
  .strict();
export const whoamiResponseSchema = z.object({ nodeId: nodeIdSchema, name: z.string() }).strict();

/** The node id a node token belongs to, or null when the token is not of the form `<nodeId>.<secret>`. */
export function nodeIdFromToken(token: string): string | null {
  const dot = token.indexOf('.');
  if (dot <= 0) return null;
  const id = token.slice(0, dot);
  return nodeIdSchema.safeParse(id).success ? id : null;
}
export const enrollResponseSchema = z.object({ nodeId: nodeIdSchema, token: z.string().min(20).max(200) }).strict();

export const healthResponseSchema = z
  .object({ ok: z.boolean(), version: z.string(), database: z.enum(['pglite', 'postgres']) })
  .strict();

export const hubErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
