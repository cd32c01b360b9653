import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { JsonObject, VersionVector } from '../../shared/domain/records';
import { descendsFrom } from '../../shared/sync/version-vector';
import type { EdgeStore } from './edge-store';
import { openTestStore } from './test-support';

/**
 * Two real edge stores and a hub reduced to its rule (a full state applies when the record is new or the
 * change's vector descends from the current one; otherwise the push is a conflict carrying the current state).
 * Random local writes, pushes (some failing, some released), pulls and conflict resolutions, then a quiet
 * period: afterwards both nodes and the hub hold the same state of every record, nothing is left queued,
 * and no local write was lost on the way (every write either reached the hub or was replaced by a resolution).
 */
interface HubState {
  recordId: string;
  data: JsonObject | null;
  deleted: boolean;
  vv: VersionVector;
  hlc: string;
  nodeId: string;
  seq: number;
}

class Hub {
  readonly current = new Map<string, HubState>();
  readonly log: HubState[] = [];
  push(store: EdgeStore, limit: number): void {
    const { changes } = store.leaseBatch({ limit, leaseMs: 60_000 });
    const acks: Array<{ queueId: number; seq: number; changeId: string }> = [];
    const conflicts: Parameters<EdgeStore['recordPushConflicts']>[0] = [];
    for (const c of changes) {
      const cur = this.current.get(c.recordId);
      if (cur && !descendsFrom(c.vv, cur.vv)) {
        conflicts.push({ queueId: c.queueId, remote: { table: 'agents', recordId: cur.recordId, data: cur.data as Record<string, never> | null, deleted: cur.deleted, vv: cur.vv, hlc: cur.hlc, nodeId: cur.nodeId, seq: cur.seq } });
        continue;
      }
      const state: HubState = { recordId: c.recordId, data: c.data, deleted: c.op === 'delete', vv: c.vv, hlc: c.hlc, nodeId: c.nodeId, seq: this.log.length + 1 };
      this.log.push(state);
      this.current.set(c.recordId, state);
      acks.push({ queueId: c.queueId, seq: state.seq, changeId: c.changeId });
    }
    store.ackChanges(acks);
    if (conflicts.length) store.recordPushConflicts(conflicts);
  }
  pull(store: EdgeStore): void {
    const since = store.getCursor();
    const changes = this.log
      .filter((s) => s.seq > since && s.nodeId !== store.nodeId)
      .map((s) => ({ table: 'agents' as const, recordId: s.recordId, op: s.deleted ? ('delete' as const) : ('upsert' as const), data: s.data, vv: s.vv, hlc: s.hlc, nodeId: s.nodeId, seq: s.seq }));
    store.applyRemoteChanges(changes, this.log.length);
  }
}

type Op =
  | { kind: 'create' | 'delete'; node: 0 | 1; id: string }
  | { kind: 'update'; node: 0 | 1; id: string; name: string; critical: boolean }
  | { kind: 'push'; node: 0 | 1; limit: number }
  | { kind: 'fail' | 'release' | 'pull' | 'resolve'; node: 0 | 1; pick: 'local' | 'remote' };

const ids = ['r1', 'r2', 'r3'];
const node = fc.constantFrom<0 | 1>(0, 1);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant<'create'>('create'), node, id: fc.constantFrom(...ids) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant<'delete'>('delete'), node, id: fc.constantFrom(...ids) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant<'update'>('update'), node, id: fc.constantFrom(...ids), name: fc.constantFrom('alpha', 'beta', 'gamma', 'delta'), critical: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant<'push'>('push'), node, limit: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant<'pull'>('pull'), node, pick: fc.constantFrom<'local' | 'remote'>('local', 'remote') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom<'fail' | 'release' | 'resolve'>('fail', 'release', 'resolve'), node, pick: fc.constantFrom<'local' | 'remote'>('local', 'remote') }) },
);

function resolveAll(store: EdgeStore, pick: 'local' | 'remote'): void {
  for (const c of store.listConflicts({ status: 'pending', limit: 100 }).items) {
    const d = store.getConflict(c.id);
    const chosen = pick === 'local' ? d.local : d.remote;
    store.resolveConflict(c.id, { resolvedData: chosen, strategy: pick, resolvedBy: 'model', automatic: false });
  }
}

function run(store: EdgeStore, hub: Hub, op: Op): void {
  const row = op.kind === 'create' || op.kind === 'update' || op.kind === 'delete' ? store.unsafeDatabase().prepare('SELECT version, deleted FROM agents WHERE id = ?').get(op.id) as { version: number; deleted: number } | undefined : undefined;
  switch (op.kind) {
    case 'create':
      if (!row) store.createAgent({ id: op.id, name: `${op.id}@${store.nodeId}`, type: 'llm', config: { by: store.nodeId } });
      return;
    case 'update':
      if (row && row.deleted === 0) store.updateAgent({ id: op.id, patch: { name: op.name, status: op.critical ? 'critical' : 'active' }, expectedVersion: row.version });
      return;
    case 'delete':
      if (row && row.deleted === 0) store.deleteAgent(op.id, row.version);
      return;
    case 'push':
      return hub.push(store, op.limit);
    case 'fail': {
      const { changes } = store.leaseBatch({ limit: 2, leaseMs: 60_000 });
      store.failChanges(changes.map((c) => ({ queueId: c.queueId, error: 'simulated 503', retryAt: null })));
      return;
    }
    case 'release':
      store.leaseBatch({ limit: 2, leaseMs: 60_000 });
      store.releaseLeases();
      return;
    case 'pull':
      return hub.pull(store);
    case 'resolve':
      return resolveAll(store, op.pick);
  }
}

function stateOf(store: EdgeStore, id: string) {
  const row = store.unsafeDatabase().prepare('SELECT name, type, status, config, deleted, vv FROM agents WHERE id = ?').get(id) as
    | { name: string; type: string; status: string; config: string; deleted: number; vv: string }
    | undefined;
  if (!row) return undefined;
  return row.deleted ? { deleted: true, vv: JSON.parse(row.vv) } : { deleted: false, name: row.name, status: row.status, config: JSON.parse(row.config), vv: JSON.parse(row.vv) };
}

test('model: two nodes and a hub converge under random writes, pushes, failures, pulls and resolutions', (t) => {
  let conflictsSeen = 0;
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 5, maxLength: 40, size: 'max' }), (ops) => {
      const a = openTestStore({ nodeId: 'node-a', settings: { sync: { maxAttempts: 100 } } });
      const b = openTestStore({ nodeId: 'node-b', settings: { sync: { maxAttempts: 100 } } });
      try {
        const stores = [a.store, b.store];
        const hub = new Hub();
        const vvs = (st: EdgeStore) =>
          new Map((st.unsafeDatabase().prepare('SELECT id, vv FROM agents').all() as Array<{ id: string; vv: string }>).map((r) => [r.id, JSON.parse(r.vv) as VersionVector]));
        for (const op of ops) {
          const before = vvs(stores[op.node]!);
          run(stores[op.node]!, hub, op);
          // nothing ever replaces a state with one that has not seen it: no local write is silently lost
          for (const [id, vv] of vvs(stores[op.node]!)) {
            const old = before.get(id);
            if (old) assert.ok(descendsFrom(vv, old), `${op.kind} on ${stores[op.node]!.nodeId} moved ${id} from ${JSON.stringify(old)} to ${JSON.stringify(vv)}`);
          }
          for (const s of stores) {
            // a synced row matches what the store believes the hub has
            for (const r of s.unsafeDatabase().prepare(`SELECT a.id, a.vv, s.vv AS svv FROM agents a LEFT JOIN sync_shadow s ON s.record_id = a.id WHERE a.sync_status = 'synced' AND a.vv <> '{}'`).all() as Array<{ id: string; vv: string; svv: string | null }>) {
              assert.ok(r.svv !== null, `${s.nodeId}: synced ${r.id} has a shadow`);
              assert.deepEqual(JSON.parse(r.vv), JSON.parse(r.svv), `${s.nodeId}: synced ${r.id} equals its shadow`);
            }
          }
        }
        // quiet period: retry failures, resolve, push everything, pull everything, until nothing moves
        for (let round = 0; round < 12; round++) {
          for (const s of stores) {
            s.retry();
            resolveAll(s, round % 2 ? 'local' : 'remote');
            s.releaseLeases();
            for (let k = 0; k < 20 && s.stats().byStatus.pending > 0; k++) hub.push(s, 50);
          }
          for (const s of stores) hub.pull(s);
          const quiet = stores.every((s) => {
            const st = s.stats();
            return st.byStatus.pending === 0 && st.byStatus.processing === 0 && st.byStatus.failed === 0 && st.conflictsByStatus.pending === 0;
          });
          if (quiet && stores.every((s) => s.getCursor() === hub.log.length)) break;
        }
        for (const s of stores) {
          const unsynced = s.unsafeDatabase().prepare(`SELECT id, sync_status FROM agents WHERE sync_status <> 'synced'`).all();
          assert.deepEqual(unsynced, [], `${s.nodeId}: every row synced`);
          const st = s.stats();
          assert.deepEqual([st.byStatus.pending, st.byStatus.processing, st.byStatus.failed, st.conflictsByStatus.pending], [0, 0, 0, 0], `${s.nodeId} is quiet`);
        }
        for (const id of ids) {
          const onHub = hub.current.get(id);
          const sa = stateOf(a.store, id);
          const sb = stateOf(b.store, id);
          if (!onHub) {
            assert.equal(sa, undefined);
            assert.equal(sb, undefined);
            continue;
          }
          for (const [s, state] of [[a.store, sa], [b.store, sb]] as const) {
            if (!state && onHub.deleted) {
              // a tombstone of a record this node never had is kept as its shadow only
              assert.deepEqual(s.getShadow('agents', id)?.vv, onHub.vv, `${s.nodeId} knows ${id} is deleted`);
              continue;
            }
            assert.ok(state, `${s.nodeId} has ${id}`);
            assert.deepEqual(state.vv, onHub.vv, `${s.nodeId} ${id} vv`);
            assert.equal(state.deleted, onHub.deleted, `${s.nodeId} ${id} deleted`);
            if (!onHub.deleted) {
              assert.equal(state.name, onHub.data!.name);
              assert.equal(state.status, onHub.data!.status);
              assert.deepEqual(state.config, onHub.data!.config);
            }
          }
        }
        for (const s of stores) conflictsSeen += s.listConflicts({ limit: 1 }).total;
      } finally {
        a.cleanup();
        b.cleanup();
      }
    }),
    { numRuns: Number(process.env.MODEL_RUNS ?? 60), verbose: 1 },
  );
  t.diagnostic(`conflicts recorded across the runs: ${conflictsSeen}`);
  assert.ok(conflictsSeen >= 30, `the runs exercised conflicts (${conflictsSeen})`);
});
