import type { RecordKey, StoreCall, StoreResults, OutgoingChange as WorkerChange } from '../../shared/protocol/worker';
import { applyPatch } from '../../shared/sync/delta';
import { compareVv } from '../../shared/sync/version-vector';
import { MAX_OVERRIDDEN, type PulledChange, type RecordState } from '../../shared/sync/wire';
import type { JsonObject, VersionVector } from '../../shared/domain/records';
import type { RemoteChange } from '../store/types';
import type { SyncStorePort } from './store-port';
import { wireChangeId } from './change-id';

export interface BridgeEvents {
  /** queue rows changed (lease, ack, fail, release) */
  onQueueChanged(): void;
  onConflicts(conflictIds: number[]): void;
}

/** How long a lease holds before the store may hand the item out again (a crashed worker's leases lapse). */
const LEASE_MS = 5 * 60_000;

const keyOf = (table: string, recordId: string) => `${table}\u0000${recordId}`;

/**
 * Runs the worker's store calls against the edge store, each in one transaction. It remembers, per leased item,
 * its lease (releases go by lease) and the store's change id (an ack only completes the item leased under that
 * id); the hub sees an id derived from the write itself (change-id.ts).
 */
export class StoreBridge {
  private readonly leased = new Map<number, { changeId: string; leaseId: string }>(); // by queue id

  constructor(
    /** this node: part of the ids its changes carry to the hub */
    private readonly nodeId: string,
    private readonly store: SyncStorePort,
    private readonly events: BridgeEvents,
  ) {}

  /** Forgets every lease (the worker is gone; the store's leases are released separately). */
  reset(): void {
    this.leased.clear();
  }

  handle(call: StoreCall): StoreResults[StoreCall['op']] {
    switch (call.op) {
      case 'lease':
        return this.lease(call.limit, call.minPriority);
      case 'ack': {
        const acks = call.items.map((a) => ({ queueId: a.queueId, seq: a.seq, changeId: this.leased.get(a.queueId)?.changeId }));
        this.store.ackChanges(acks);
        for (const a of call.items) this.leased.delete(a.queueId);
        this.events.onQueueChanged();
        return { acked: acks.length };
      }
      case 'fail':
        this.store.failChanges(
          call.items.map((f) => ({
            queueId: f.queueId,
            error: f.message,
            retryAt: f.retryInMs === null ? null : new Date(Date.now() + f.retryInMs),
            permanent: f.permanent,
            ...(f.countAttempt === undefined ? {} : { countAttempt: f.countAttempt }),
          })),
        );
        for (const f of call.items) this.leased.delete(f.queueId);
        this.events.onQueueChanged();
        return { failed: call.items.length };
      case 'release': {
        const leaseIds = new Set(call.queueIds.map((id) => this.leased.get(id)?.leaseId).filter((id): id is string => Boolean(id)));
        let released = 0;
        for (const leaseId of leaseIds) released += this.store.releaseLeases(leaseId);
        for (const id of call.queueIds) this.leased.delete(id);
        this.events.onQueueChanged();
        return { released };
      }
      case 'conflicts': {
        const recorded = this.store.recordPushConflicts(call.items.map((c) => ({ queueId: c.queueId, remote: c.current as RecordState }))); // the store validates it
        for (const c of call.items) this.leased.delete(c.queueId);
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
    const { leaseId, changes } = this.store.leaseBatch({ limit, leaseMs: LEASE_MS, criticalOnly: minPriority >= 10 });
    const items: WorkerChange[] = changes.map((c) => {
      this.leased.set(c.queueId, { changeId: c.changeId, leaseId });
      return {
        queueId: c.queueId,
        changeId: wireChangeId(this.nodeId, c.hlc),
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
      };
    });
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
