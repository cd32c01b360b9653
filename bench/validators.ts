/**
 * Message validators on the sync hot paths: the checks derived from each message's one zod declaration
 * (shared/protocol/validate.ts: the JSON Schema zod emits, compiled by ajv) against the hand-written checks they
 * replaced, on realistic messages. Both sides are built the same way in the same run: the declaration wrapped in
 * a fast path (a value the check accepts passes as it is; anything else goes to zod), with the derived check or
 * with the hand check kept below as the baseline. Rounds alternate between the two; figures are the median and
 * the best round (the best is the steadier on a shared machine).
 * Ratio: the hand check's time over the derived one's (1.00 or more: the derived validator is at least as fast).
 *
 *   node --import tsx bench/validators.ts [changes]   (default 500 changes a message)
 */
import { z } from 'zod';
import { syncedTables } from '../shared/domain/records';
import { HLC, NODE_ID } from '../shared/sync/hlc';
import { parsedPullResponseSchema, parsedPushRequestSchema, parsedPushResponseSchema, pullResponseSchema, pushRequestSchema, pushResponseSchema } from '../shared/sync/wire';
import { outgoingChangeSchema, relayedPulledChangeSchema, storeResultSchemas } from '../shared/protocol/worker';
import { gitRequestSchema } from '../shared/protocol/git';
import { fastArray } from '../shared/protocol/validate';

const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 500);

// ---------------------------------------------------------------------------------------------------------
// BASELINE ONLY: the hand checks as they stood in shared/sync/shape-checks.ts, shared/sync/wire.ts,
// shared/protocol/worker.ts and shared/protocol/git.ts before the derived validators replaced them. Kept here to
// measure against; nothing else uses them.
// ---------------------------------------------------------------------------------------------------------
const UUID = z.regexes.uuid();
const RECORD_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const TABLES: ReadonlySet<unknown> = new Set(syncedTables);
const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isStr = (v: unknown, re: RegExp): boolean => typeof v === 'string' && re.test(v);
const isPriority = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 10;
function onlyKeys(o: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in o) if (!allowed.has(key)) return false;
  return Object.getOwnPropertySymbols(o).length === 0;
}
function isVv(v: unknown): boolean {
  if (!isPlain(v)) return false;
  let n = 0;
  for (const key in v) if (!NODE_ID.test(key) || !isCount(v[key]) || ++n > 10_000) return false;
  return Object.getOwnPropertySymbols(v).length === 0;
}
function isData(v: unknown): boolean {
  if (!isPlain(v)) return false;
  for (const key in v) if (key.length > 256 || key === '__proto__') return false;
  return Object.getOwnPropertySymbols(v).length === 0;
}
const PATCH_KEYS: ReadonlySet<string> = new Set(['set', 'unset']);
function isPatch(v: unknown): boolean {
  if (!isPlain(v) || !onlyKeys(v, PATCH_KEYS) || !isData(v.set) || !Array.isArray(v.unset) || v.unset.length > 1000) return false;
  for (const key of v.unset as unknown[]) if (typeof key !== 'string' || key.length > 256) return false;
  return true;
}
const PULLED_CHANGE_KEYS: ReadonlySet<string> = new Set(['changeId', 'table', 'recordId', 'hlc', 'vv', 'nodeId', 'seq', 'op', 'baseVv', 'data', 'patch']);
const isPulledChange = (c: unknown): boolean =>
  isPlain(c) && onlyKeys(c, PULLED_CHANGE_KEYS) && isStr(c.changeId, UUID) && TABLES.has(c.table) && isStr(c.recordId, RECORD_ID) && isStr(c.hlc, HLC) &&
  isVv(c.vv) && isStr(c.nodeId, NODE_ID) && isCount(c.seq) && (c.op === 'upsert' || c.op === 'delete') && (c.baseVv === null || isVv(c.baseVv)) &&
  (c.data === undefined || isData(c.data)) && (c.patch === undefined || isPatch(c.patch));
const isArrayOf = (v: unknown, min: number, max: number, fits: (item: unknown) => boolean): boolean =>
  Array.isArray(v) && v.length >= min && v.length <= max && v.every(fits);
const WIRE_CHANGE_KEYS: ReadonlySet<string> = new Set(['changeId', 'table', 'recordId', 'hlc', 'vv', 'nodeId', 'op', 'priority', 'baseVv', 'data', 'patch']);
function isWireChange(c: unknown): boolean {
  if (
    !(isPlain(c) && onlyKeys(c, WIRE_CHANGE_KEYS) && isStr(c.changeId, UUID) && TABLES.has(c.table) && isStr(c.recordId, RECORD_ID) && isStr(c.hlc, HLC) &&
      isVv(c.vv) && isStr(c.nodeId, NODE_ID) && (c.op === 'upsert' || c.op === 'delete') && isPriority(c.priority) && (c.baseVv === null || isVv(c.baseVv)) &&
      (c.data === undefined || isData(c.data)) && (c.patch === undefined || isPatch(c.patch)))
  ) return false;
  const hasData = c.data !== undefined;
  const hasPatch = c.patch !== undefined;
  if (c.op === 'delete' ? hasData || hasPatch : hasData === hasPatch) return false;
  return !hasPatch || c.baseVv !== null;
}
const PUSH_REQUEST_KEYS: ReadonlySet<string> = new Set(['changes']);
const isPushRequest = (v: unknown): boolean => isPlain(v) && onlyKeys(v, PUSH_REQUEST_KEYS) && isArrayOf(v.changes, 1, 5000, isWireChange);
const PULL_RESPONSE_KEYS: ReadonlySet<string> = new Set(['changes', 'cursor', 'hasMore']);
const isPullResponse = (v: unknown): boolean =>
  isPlain(v) && onlyKeys(v, PULL_RESPONSE_KEYS) && isArrayOf(v.changes, 0, 10_000, isPulledChange) && isCount(v.cursor) && typeof v.hasMore === 'boolean';
const RESULT_KEYS: ReadonlySet<string> = new Set(['changeId', 'status', 'seq']);
const RESPONSE_KEYS: ReadonlySet<string> = new Set(['results']);
const isSeqResult = (r: unknown): boolean =>
  isPlain(r) && onlyKeys(r, RESULT_KEYS) && isStr(r.changeId, UUID) && (r.status === 'applied' || r.status === 'duplicate') && isCount(r.seq);
const isPushResponse = (v: unknown): boolean => isPlain(v) && onlyKeys(v, RESPONSE_KEYS) && isArrayOf(v.results, 0, 5000, isSeqResult);
const OUTGOING_KEYS: ReadonlySet<string> = new Set(['queueId', 'changeId', 'table', 'recordId', 'op', 'priority', 'hlc', 'vv', 'nodeId', 'baseVv', 'data', 'baseData']);
const isOutgoingChange = (c: unknown): boolean =>
  isPlain(c) && onlyKeys(c, OUTGOING_KEYS) && typeof c.queueId === 'number' && Number.isSafeInteger(c.queueId) && c.queueId > 0 && isStr(c.changeId, UUID) &&
  TABLES.has(c.table) && isStr(c.recordId, RECORD_ID) && (c.op === 'upsert' || c.op === 'delete') && isPriority(c.priority) && isStr(c.hlc, HLC) &&
  isVv(c.vv) && isStr(c.nodeId, NODE_ID) && (c.baseVv === null || isVv(c.baseVv)) && (c.data === null || isData(c.data)) && (c.baseData === null || isData(c.baseData));
const isGitRequest = (msg: unknown): boolean =>
  typeof msg === 'object' && msg !== null && typeof (msg as { kind?: unknown }).kind === 'string' && (msg as { kind: string }).kind.startsWith('git.');
/** The fast path as it was built around a hand check. */
function handFastPath<T>(schema: z.ZodType<T>, fits: (v: unknown) => boolean): z.ZodType<T> {
  return z.custom<T>().transform((value, ctx): T => {
    if (fits(value)) return value as T;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path, input: value });
    return z.NEVER;
  });
}
// ------------------------------------------- end of the baseline -------------------------------------------

const hlc = '001763000000000-000001-node-a';
const uuid = (i: number) => `0199a2b3-c4d5-8e6f-8a7b-${String(i).padStart(12, '0')}`;
const data = (i: number) => ({
  name: `Agent ${i}`,
  type: i % 3 === 0 ? 'planner' : 'worker',
  status: 'inactive',
  config: { model: 'model-small', temperature: 0.2, maxTokens: 2048, tools: ['search', 'fetch', 'summarize'], prompt: `You are agent ${i}; keep answers short and cite sources.` },
});
/** 80% full upserts, 15% patches, 5% deletes, as a sync of edits sends them. */
const payload = (i: number) =>
  i % 20 === 0 ? { op: 'delete', baseVv: { 'node-a': i } } : i % 20 < 4 ? { op: 'upsert', baseVv: { 'node-a': i }, patch: { set: { status: 'active' }, unset: ['draft'] } } : { op: 'upsert', baseVv: null, data: data(i) };
const base = (i: number) => ({ changeId: uuid(i), table: 'agents', recordId: `agent-${String(i).padStart(7, '0')}`, hlc, vv: { 'node-a': i + 1, 'node-b': 3 }, nodeId: 'node-a' });
const viaJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const range = Array.from({ length: N }, (_, i) => i);

const pushBatch = viaJson({ changes: range.map((i) => ({ ...base(i), priority: 5, ...payload(i) })) });
const pulledPage = viaJson({ changes: range.map((i) => ({ ...base(i), seq: i + 1, ...payload(i) })), cursor: N, hasMore: true });
const pushAnswer = viaJson({ results: range.map((i) => ({ changeId: uuid(i), status: 'applied', seq: i + 1 })) });
const leaseItems = structuredClone(
  range.map((i) => ({ queueId: i + 1, ...base(i), op: 'upsert', priority: 5, baseVv: i % 2 ? { 'node-a': i } : null, data: data(i), baseData: i % 2 ? data(i - 1) : null })),
);
const leaseReply = { items: leaseItems };
const applyChanges = structuredClone(pulledPage.changes);
const gitSync = structuredClone({
  kind: 'git.sync',
  dir: '/home/user/.outpost/workspaces/main',
  remote: { url: 'https://hub.example/git/main.git', username: 'node', password: 'node-a.0123456789abcdef0123456789abcdef' },
  author: { name: 'Outpost node', email: 'node-a@outpost.invalid' },
  resolutions: Array.from({ length: 10 }, (_, i) => ({ id: `c-${i}`, path: `notes/file-${i}.md`, localOid: 'a'.repeat(40), remoteOid: 'b'.repeat(40), result: { text: `merged ${i}` } })),
  held: Array.from({ length: 20 }, (_, i) => `notes/held-${i}.md`),
});

const handLease = z.object({ items: handFastPath(z.array(outgoingChangeSchema).max(5000), (v) => isArrayOf(v, 0, 5000, isOutgoingChange)) }).strict();
const handApply = handFastPath(z.array(relayedPulledChangeSchema).max(10_000), (v) => isArrayOf(v, 0, 10_000, isPulledChange));
const derivedApply = fastArray(relayedPulledChangeSchema, 10_000);

interface Case {
  name: string;
  value: unknown;
  derived: z.ZodType;
  hand: z.ZodType;
  zod: z.ZodType;
}
const cases: Case[] = [
  { name: `push batch (${N} changes, hub)`, value: pushBatch, derived: parsedPushRequestSchema, hand: handFastPath(pushRequestSchema, isPushRequest), zod: pushRequestSchema },
  { name: `pulled page (${N} changes, node)`, value: pulledPage, derived: parsedPullResponseSchema, hand: handFastPath(pullResponseSchema, isPullResponse), zod: pullResponseSchema },
  { name: `push answer (${N} results, node)`, value: pushAnswer, derived: parsedPushResponseSchema, hand: handFastPath(pushResponseSchema, isPushResponse), zod: pushResponseSchema },
  { name: `worker lease reply (${N} changes)`, value: leaseReply, derived: storeResultSchemas.lease, hand: handLease, zod: z.object({ items: z.array(outgoingChangeSchema) }).strict() },
  { name: `apply page to main (${N} changes)`, value: applyChanges, derived: derivedApply, hand: handApply, zod: z.array(relayedPulledChangeSchema) },
];

/** CPU µs a message (this process's CPU time: steadier than wall time on a machine shared with other work). */
function once(schema: z.ZodType, value: unknown, reps: number): number {
  const started = process.cpuUsage();
  for (let r = 0; r < reps; r++) if (!schema.safeParse(value).success) throw new Error('a realistic message was refused');
  const used = process.cpuUsage(started);
  return (used.user + used.system) / reps;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const us = (x: number) => `${x.toFixed(1).padStart(8)} µs`;

console.log(`message validators, ${N} changes a message: derived (zod -> JSON Schema -> ajv) vs the hand checks they replaced`);
for (const c of cases) {
  const compileStart = performance.now();
  once(c.derived, c.value, 1); // the first call compiles the derived check
  const compileMs = performance.now() - compileStart;
  const reps = Math.max(5, Math.round(40_000 / N));
  for (let w = 0; w < 3; w++) {
    once(c.hand, c.value, reps);
    once(c.derived, c.value, reps);
  }
  const hand: number[] = [];
  const derived: number[] = [];
  for (let round = 0; round < 25; round++) {
    hand.push(once(c.hand, c.value, reps));
    derived.push(once(c.derived, c.value, reps));
  }
  const zodUs = once(c.zod, c.value, Math.max(2, Math.round(reps / 10)));
  const [h, d] = [median(hand), median(derived)];
  const [hb, db] = [Math.min(...hand), Math.min(...derived)];
  console.log(`  ${c.name}   (zod alone ${us(zodUs).trim()}; the derived check's first call, which compiles it: ${compileMs.toFixed(1)} ms)`);
  console.log(`    median: hand ${us(h)}, derived ${us(d)}, ratio ${(h / d).toFixed(2)}`);
  console.log(`    best:   hand ${us(hb)}, derived ${us(db)}, ratio ${(hb / db).toFixed(2)}`);
}

// The Git request: its validator is the zod declaration itself (z.string().url() has no JSON Schema form, so
// none is derived); the hand check it had was a `kind` prefix test that no request path used.
{
  const reps = 20_000;
  for (let w = 0; w < 3; w++) once(gitRequestSchema, gitSync, 2000);
  const zodUs = median(Array.from({ length: 9 }, () => once(gitRequestSchema, gitSync, reps / 10)));
  const startedHand = process.cpuUsage();
  let n = 0;
  for (let r = 0; r < reps; r++) if (isGitRequest(gitSync)) n++;
  const usedHand = process.cpuUsage(startedHand);
  const handUs = (usedHand.user + usedHand.system) / reps;
  console.log(`  Git request (git.sync, 10 resolutions, 20 held paths; ${n === reps ? 'all' : 'not all'} passed the prefix test)`);
  console.log(`    zod declaration ${us(zodUs)}   (old prefix test ${us(handUs)}: it checked only the kind)`);
}
