import type { RecordKey, StoreCall, StoreResults, OutgoingChange as WorkerChange } from '../../shared/protocol/worker';
import { applyPatch } from '../../shared/sync/delta';
import { compareVv } from '../../shared/sync/version-vector';
import { MAX_OVERRIDDEN, type PulledChange, type RecordState } from '../../shared/sync/wire';
import type { JsonObject, VersionVector } from '../../shared/domain/records';
import type { RemoteChange } from '../store/types';
import type { SyncStorePort } from './store-port';

export interface BridgeEvents {
  /** queue rows changed (lease, ack, fail, release) */
  onQueueChanged(): void;
  onConflicts(conflictIds: number[]): void;
}

/** How long a lease holds before the store may hand the item out again (a crashed worker's leases lapse). */
const LEASE_MS = 5 * 60_000;

const keyOf = (table: string, recordId: string) => `${table}\u0000${recordId}`;

/**
 * Runs the worker's store calls against the edge store, each in one transaction. It holds no lease state: the
 * store gives each leased item its change id (the one the hub sees), and the worker's answers name the item by
 * queue id and that change id, which the store checks against its table.
 */
export class StoreBridge {
  constructor(
    private readonly store: SyncStorePort,
    private readonly events: BridgeEvents,
  ) {}

  handle(call: StoreCall): StoreResults[StoreCall['op']] {
    switch (call.op) {
      case 'lease':
        return this.lease(call.limit, call.minPriority);
      case 'ack': {
        const { acked } = this.store.ackChanges(call.items);
        this.events.onQueueChanged();
        return { acked };
      }
      case 'fail': {
        const { retrying, failed } = this.store.failChanges(
          call.items.map((f) => ({
            queueId: f.queueId,
            changeId: f.changeId,
            error: f.message,
            retryAt: f.retryInMs === null ? null : new Date(Date.now() + f.retryInMs),
            permanent: f.permanent,
            ...(f.countAttempt === undefined ? {} : { countAttempt: f.countAttempt }),
          })),
        );
        this.events.onQueueChanged();
        return { failed: retrying + failed };
      }
      case 'release': {
        const released = this.store.releaseChanges(call.items);
        this.events.onQueueChanged();
        return { released };
      }
      case 'conflicts': {
        // the store validates each hub state
        const recorded = this.store.recordPushConflicts(call.items.map((c) => ({ queueId: c.queueId, changeId: c.changeId, remote: c.current as RecordState })));
        const conflictIds = extractConflictIds(recorded);
        this.events.onQueueChanged();
        this.events.onConflicts(conflictIds);
        return { conflictIds };
      }
      case 'cursor':
        return { cursor: this.store.getCursor() };
      case 'apply':
        // record data was shape-checked at the boundary; the store validates every record it applies
        return this.apply(call.changes as PulledChange[], call.fullStates as RecordState[], call.cursor);
    }
  }

  private lease(limit: number, minPriority: number): StoreResults['lease'] {
    const { changes } = this.store.leaseBatch({ limit, leaseMs: LEASE_MS, criticalOnly: minPriority >= 10 });
    const items: WorkerChange[] = changes.map((c) => ({
      queueId: c.queueId,
      changeId: c.changeId,
      table: c.table,
      recordId: c.recordId,
      op: c.op,
      priority: c.priority,
      hlc: c.hlc,
      vv: c.vv,
      nodeId: c.nodeId,
      baseVv: c.baseVv,
      data: c.data as WorkerChange['data'],
      baseData: c.baseData as WorkerChange['baseData'],
      ...(c.overrode ? { overrode: c.overrode } : {}),
    }));
    if (items.length) this.events.onQueueChanged();
    return { items };
  }

  /**
   * Expands patches against the local shadows (or an earlier change of the same batch), then applies all and
   * moves the cursor in one transaction. A patch whose base this node does not hold stops the whole page: the
   * worker fetches those records' full states and calls again. A change carrying its full data goes to the
   * store as it came (the store reads only the fields it needs); only records that a patch in the page names
   * are followed change by change.
   */
  private apply(changes: PulledChange[], fullStates: RecordState[], cursor: number): StoreResults['apply'] {
    const full = fullStates.length ? new Map(fullStates.map((s) => [keyOf(s.table, s.recordId), s])) : null;
    const patched = new Set<string>();
    for (const change of changes) if (change.patch) patched.add(keyOf(change.table, change.recordId));
    const keyed = full !== null || patched.size > 0;
    const working = new Map<string, { vv: VersionVector; data: JsonObject | null } | null>();
    const need = new Map<string, RecordKey>();
    const remote: RemoteChange[] = [];
    const emittedFull = new Map<string, RemoteChange>();
    for (const change of changes) {
      const key = keyed ? keyOf(change.table, change.recordId) : '';
      const state = full?.get(key);
      if (state) {
        // the hub's current state stands in for every change of this record in the page (and for what they overrode)
        let standIn = emittedFull.get(key);
        if (!standIn) {
          standIn = { table: state.table, recordId: state.recordId, op: state.deleted ? 'delete' : 'upsert', data: state.deleted ? null : (state.data as JsonObject), vv: state.vv, hlc: state.hlc, nodeId: state.nodeId, seq: state.seq };
          emittedFull.set(key, standIn);
          remote.push(standIn);
        }
        if (change.overrode) standIn.overrode = [...(standIn.overrode ?? []), ...change.overrode].slice(-MAX_OVERRIDDEN);
        continue;
      }
      if (change.op === 'upsert' && change.patch) {
        if (!working.has(key)) {
          const shadow = this.store.getShadow(change.table, change.recordId);
          working.set(key, shadow && !shadow.deleted && shadow.data ? { vv: shadow.vv, data: shadow.data } : null);
        }
        const base = working.get(key);
        if (!base || !base.data || !change.baseVv || compareVv(base.vv, change.baseVv) !== 'equal') {
          need.set(key, { table: change.table, recordId: change.recordId });
          working.set(key, null);
          continue;
        }
        const data = applyPatch(base.data, change.patch) as JsonObject;
        working.set(key, { vv: change.vv, data });
        remote.push({ table: change.table, recordId: change.recordId, op: change.op, data, vv: change.vv, hlc: change.hlc, nodeId: change.nodeId, seq: change.seq, overrode: change.overrode });
        continue;
      }
      const data = change.op === 'upsert' ? ((change.data ?? {}) as JsonObject) : null;
      if (patched.has(key)) working.set(key, { vv: change.vv, data });
      remote.push(change.op === 'delete' || change.data ? (change as unknown as RemoteChange) : { ...change, data });
    }
    if (need.size) return { status: 'need-full', keys: [...need.values()] };
    const result = this.store.applyRemoteChanges(remote, cursor);
    // agents.changed for applied records comes from the store's change listener (main/node.ts wires it)
    this.events.onQueueChanged();
    if (result.conflictIds.length) this.events.onConflicts(result.conflictIds);
    return { status: 'applied', applied: result.applied, skipped: result.skipped, conflicts: result.conflicts };
  }
}

function extractConflictIds(recorded: unknown): number[] {
  if (Array.isArray(recorded)) return recorded.filter((x): x is number => typeof x === 'number');
  const ids = (recorded as { conflictIds?: unknown } | null)?.conflictIds;
  return Array.isArray(ids) ? ids.filter((x): x is number => typeof x === 'number') : [];
}
