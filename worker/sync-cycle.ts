import { encodeUpsert } from '../shared/sync/delta';
import { REFUSAL, refusalError, type PullResponse, type PushResponse, type WireChange } from '../shared/sync/wire';
import type { Allowance } from './bandwidth';
import { Backoff, sleep } from './backoff';
import type { BatchSizer } from './batch-sizer';
import { HubError, type HubClient } from './hub-client';
import type { OutgoingChange, StoreCall, StoreOp, StoreResults } from '../shared/protocol/worker';

export type StoreCaller = <K extends StoreOp>(call: Extract<StoreCall, { op: K }>) => Promise<StoreResults[K]>;

export interface CycleDeps {
  call: StoreCaller;
  client: HubClient;
  pushSizer: BatchSizer;
  pullSizer: BatchSizer;
  /** what the bandwidth budget allows right now (re-read before every batch) */
  allowance: () => Allowance;
  /** waits out the bandwidth cap before a request */
  throttle: (signal: AbortSignal) => Promise<void>;
  signal: AbortSignal;
  /** transient failures retried inside one cycle before the cycle gives up (the scheduler then backs off) */
  retries?: number;
  /** the longest Retry-After waited inside a cycle; longer ones end the cycle and the scheduler waits */
  maxInlineWaitMs?: number;
  retryBaseMs?: number;
  /** when a batch the hub failed on (5xx) may be tried again */
  failureDelayMs?: () => number;
}

export interface CycleCounts {
  pushed: number;
  pulled: number;
  conflicts: number;
  failed: number;
  pushMs: number;
  pullMs: number;
  /** the budget held some changes back (metered link, quota) */
  limited: Allowance;
  /** the hub's word that this node's clock runs too far ahead (its changes were held), else null */
  clockAhead: string | null;
}

const PRIORITY_CRITICAL = 10;
/** how soon changes held for a clock that runs ahead are offered to the hub again */
const CLOCK_RETRY_MS = 30_000;

/** One full cycle: push everything the budget allows, in the store's lease order, then pull to the hub's head. */
export async function runCycle(deps: CycleDeps): Promise<CycleCounts> {
  const counts: CycleCounts = { pushed: 0, pulled: 0, conflicts: 0, failed: 0, pushMs: 0, pullMs: 0, limited: 'all', clockAhead: null };
  const pushStart = Date.now();
  await pushAll(deps, counts);
  counts.pushMs = Date.now() - pushStart;
  if (deps.allowance() === 'all') {
    const pullStart = Date.now();
    await pullAll(deps, counts);
    counts.pullMs = Date.now() - pullStart;
  } else {
    counts.limited = deps.allowance();
  }
  return counts;
}

/**
 * Pushes batch after batch in the store's lease order. Two stages overlap: while the hub works on batch k, main
 * leases batch k+1 and records the results of batch k-1 (store calls stay in order; pushes stay one at a time,
 * so the hub sees changes in lease order).
 */
async function pushAll(deps: CycleDeps, counts: CycleCounts): Promise<void> {
  let settling: Promise<void> = Promise.resolve();
  let prefetched: Promise<Leased> | null = null;
  const none: Leased = { items: [], changes: [] };
  try {
    for (;;) {
      const { items, changes } = await (prefetched ?? leaseNext(deps, counts));
      prefetched = null;
      if (items.length === 0) return;
      prefetched = leaseNext(deps, counts);
      const started = Date.now();
      let response: PushResponse;
      try {
        response = await withRetry(deps, () => deps.client.push({ changes }, deps.signal));
      } catch (error) {
        const { items: extra } = await prefetched.catch(() => none);
        prefetched = null;
        if (extra.length) await deps.call({ op: 'release', items: extra.map(leasedRef) });
        await settling;
        await onPushError(deps, counts, items, error); // throws unless the cycle can go on
        continue;
      }
      deps.pushSizer.record(items.length, Date.now() - started);
      settling = settling.then(() => settle(deps, counts, items, response));
    }
  } finally {
    if (prefetched) {
      // the cycle ended with a batch leased ahead: hand it back untouched
      const { items: extra } = await prefetched.catch(() => none);
      if (extra.length) await deps.call({ op: 'release', items: extra.map(leasedRef) }).catch(() => undefined);
    }
    await settling;
  }
}

/** How every answer to main names a leased item: its queue id and the change id it was leased (and pushed) under. */
const leasedRef = (item: OutgoingChange) => ({ queueId: item.queueId, changeId: item.changeId });

/** A leased batch and its wire form. */
interface Leased {
  items: OutgoingChange[];
  changes: WireChange[];
}

/**
 * Leases the next batch and encodes it (deltas) as soon as main answers: that is while the hub works on the
 * previous batch, so the encoding stays off the push's critical path.
 */
async function leaseNext(deps: CycleDeps, counts: CycleCounts): Promise<Leased> {
  const allowance = deps.allowance();
  if (allowance === 'none') {
    counts.limited = 'none';
    return { items: [], changes: [] };
  }
  const minPriority = allowance === 'critical-only' ? PRIORITY_CRITICAL : 1;
  const { items } = await deps.call({ op: 'lease', limit: deps.pushSizer.current, minPriority });
  return { items, changes: items.map(toWire) };
}

/** Records what the hub said about each change: acked, conflict, or refused for good. */
async function settle(deps: CycleDeps, counts: CycleCounts, items: OutgoingChange[], response: PushResponse): Promise<void> {
  const queueIdOf = new Map(items.map((i) => [i.changeId, i.queueId])); // the hub answers by change id (hub-client.ts checks each was sent)
  const acks: Extract<StoreCall, { op: 'ack' }>['items'] = [];
  const conflicts: Extract<StoreCall, { op: 'conflicts' }>['items'] = [];
  const failures: Extract<StoreCall, { op: 'fail' }>['items'] = [];
  for (const r of response.results) {
    const ref = { queueId: queueIdOf.get(r.changeId)!, changeId: r.changeId };
    if (r.status === 'applied' || r.status === 'duplicate') acks.push({ ...ref, seq: r.seq });
    else if (r.status === 'conflict') conflicts.push({ ...ref, current: r.current });
    else if (r.error.code === REFUSAL.clockAhead) {
      // the change is fine, the node's clock is not: keep it queued (re-stamped once the clock is right, see the queue)
      counts.clockAhead = r.error.message;
      failures.push({ ...ref, message: refusalError(r.error.code, r.error.message), permanent: false, retryInMs: CLOCK_RETRY_MS, countAttempt: false });
    } else failures.push({ ...ref, message: refusalError(r.error.code, r.error.message), permanent: true, retryInMs: null });
  }
  if (acks.length) await deps.call({ op: 'ack', items: acks });
  if (conflicts.length) await deps.call({ op: 'conflicts', items: conflicts });
  if (failures.length) await deps.call({ op: 'fail', items: failures });
  counts.pushed += acks.length;
  counts.conflicts += conflicts.length;
  counts.failed += failures.filter((f) => f.permanent).length;
}

/** A push that got no usable answer: decide what its batch becomes. Returns to go on, throws to end the cycle. */
async function onPushError(deps: CycleDeps, counts: CycleCounts, items: OutgoingChange[], error: unknown): Promise<void> {
  if (error instanceof HubError && error.kind === 'server') {
    // the hub failed on this batch: one attempt counts (max attempts, then failed; queue.retry brings it back)
    const retryInMs = deps.failureDelayMs?.() ?? 1000;
    await deps.call({ op: 'fail', items: items.map((i) => ({ ...leasedRef(i), message: error.message, permanent: false, retryInMs })) });
    throw error;
  }
  if (error instanceof HubError && error.kind === 'client' && items.length === 1) {
    // one change the hub refuses outright: retrying it unchanged cannot help
    await deps.call({ op: 'fail', items: [{ ...leasedRef(items[0]!), message: error.message, permanent: true, retryInMs: null }] });
    counts.failed++;
    return;
  }
  // the link failed or the hub asked us to wait: the batch may or may not be applied, so nothing counts as an
  // attempt; the same change ids go again and the hub answers duplicates for what it has
  await deps.call({ op: 'release', items: items.map(leasedRef) });
  if (error instanceof HubError && (error.kind === 'too_large' || error.kind === 'client') && items.length > 1) {
    deps.pushSizer.shrink(items.length); // halve until the offending change stands alone
    return;
  }
  throw error;
}

/** Pulls to the hub's head; the next page downloads while main applies the current one. */
async function pullAll(deps: CycleDeps, counts: CycleCounts): Promise<void> {
  let { cursor } = await deps.call({ op: 'cursor' });
  const fetchPage = async (since: number): Promise<PullResponse> => {
    const started = Date.now();
    const page = await withRetry(deps, () => deps.client.pull(since, deps.pullSizer.current, deps.signal));
    deps.pullSizer.record(page.changes.length, Date.now() - started);
    return page;
  };
  let inflight: Promise<PullResponse> | null = fetchPage(cursor);
  try {
    while (inflight) {
      const page: PullResponse = await inflight;
      inflight = null;
      if (page.changes.length === 0 && page.cursor === cursor) return;
      if (page.hasMore && deps.allowance() === 'all') inflight = fetchPage(page.cursor);
      await applyPage(deps, counts, page);
      cursor = page.cursor;
    }
  } finally {
    if (inflight) await inflight.catch(() => undefined);
  }
}

async function applyPage(deps: CycleDeps, counts: CycleCounts, page: PullResponse): Promise<void> {
  let applied = await deps.call({ op: 'apply', changes: page.changes, fullStates: [], cursor: page.cursor });
  if (applied.status === 'need-full') {
    const keys = applied.keys;
    const states = await withRetry(deps, () => deps.client.records(keys, deps.signal));
    applied = await deps.call({ op: 'apply', changes: page.changes, fullStates: states, cursor: page.cursor });
    if (applied.status === 'need-full') {
      throw new HubError('malformed', `the hub did not return the full state of ${applied.keys.length} record(s) it sent patches for`);
    }
  }
  counts.pulled += page.changes.length;
  counts.conflicts += applied.conflicts;
}

/** Sends the patch against the shadow when that is smaller than the full state. */
export function toWire(item: OutgoingChange): WireChange {
  const base = {
    changeId: item.changeId,
    table: item.table,
    recordId: item.recordId,
    hlc: item.hlc,
    vv: item.vv,
    nodeId: item.nodeId,
    op: item.op,
    priority: item.priority,
    baseVv: item.baseVv,
    ...(item.overrode ? { overrode: item.overrode } : {}),
  };
  if (item.op === 'delete' || !item.data) return base;
  const encoded = encodeUpsert(item.baseVv ? item.baseData : null, item.data);
  return encoded.patch ? { ...base, patch: encoded.patch } : { ...base, data: item.data as WireChange['data'] };
}

/** Retries transient failures a few times inside the cycle, honouring Retry-After; offline and auth go up at once. */
async function withRetry<T>(deps: CycleDeps, send: () => Promise<T>): Promise<T> {
  const backoff = new Backoff(deps.retryBaseMs ?? 250, 10_000);
  const retries = deps.retries ?? 3;
  for (;;) {
    await deps.throttle(deps.signal);
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof HubError) || !error.transient || error.kind === 'offline' || backoff.attempts >= retries) throw error;
      const wait = backoff.next(error.retryAfterMs);
      if (wait > (deps.maxInlineWaitMs ?? 15_000)) throw error;
      await sleep(wait, deps.signal);
    }
  }
}
