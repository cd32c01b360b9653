import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changeIdOf } from './change-id';
import { openTestStore } from './test-support';

type TS = ReturnType<typeof openTestStore>;
const rows = (ts: TS) =>
  ts.store.unsafeDatabase().prepare('SELECT id, record_id, status, change_id FROM sync_queue ORDER BY id').all() as Array<{
    id: number;
    record_id: string;
    status: string;
    change_id: string | null;
  }>;
const hubState = (recordId: string, vv: Record<string, number>) => ({
  table: 'agents' as const,
  recordId,
  data: { name: 'hub', type: 'llm', status: 'inactive', config: {} },
  deleted: false,
  vv,
  hlc: `${String(Date.now() - 1000).padStart(15, '0')}-000000-node-b`,
  nodeId: 'node-b',
  seq: 3,
});

test('one change id: the store leases each item under the id the hub sees, and keeps it in the queue row', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  ts.store.createAgent({ id: 'a', name: 'a', type: 'llm' });
  const [c] = ts.store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes;
  assert.equal(c!.changeId, changeIdOf('node-a', c!.hlc), 'the id names the write');
  assert.equal(rows(ts)[0]!.change_id, c!.changeId);
  // a node killed mid-push: at open its lease goes back to pending, and the same state goes again under the same id
  ts.reopen();
  const [again] = ts.store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes;
  assert.equal(again!.changeId, c!.changeId);
});

test('answers count only while the item is leased under the change id they name', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  store.createAgent({ id: 'a', name: 'a', type: 'llm' });
  store.updateAgent({ id: 'a', patch: { name: 'a2' }, expectedVersion: 1 });
  const [first] = store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes;
  // the hub holds an older state of ours: rebased, the same write goes again as a new change
  assert.equal(store.recordPushConflicts([{ queueId: first!.queueId, changeId: first!.changeId, remote: hubState('a', { 'node-a': 1 }) }]).requeued, 1);
  const [second] = store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes;
  assert.equal(second!.queueId, first!.queueId);
  assert.notEqual(second!.changeId, first!.changeId);
  const stale = { queueId: first!.queueId, changeId: first!.changeId };
  assert.deepEqual(store.ackChanges([{ ...stale, seq: 9 }]), { acked: 0 }, 'a stale ack');
  assert.deepEqual(store.failChanges([{ ...stale, error: 'late', retryAt: null, permanent: true }]), { retrying: 0, failed: 0 }, 'a stale failure');
  assert.equal(store.releaseChanges([stale]), 0, 'a stale release');
  assert.equal(store.recordPushConflicts([{ ...stale, remote: hubState('a', { 'node-b': 1 }) }]).conflicts, 0, 'a stale conflict');
  assert.deepEqual(rows(ts).map((r) => [r.status, r.change_id]), [['processing', second!.changeId]], 'the newer lease is untouched');
  // the current id releases it; the same state leased again keeps that id, and its ack completes it
  assert.equal(store.releaseChanges([{ queueId: second!.queueId, changeId: second!.changeId }]), 1);
  const [third] = store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes;
  assert.equal(third!.changeId, second!.changeId);
  assert.deepEqual(store.ackChanges([{ queueId: third!.queueId, changeId: third!.changeId, seq: 4 }]), { acked: 1 });
  assert.equal(store.getAgent('a').syncStatus, 'synced');
});

test('a stale ack after the lease expired and the record was written does not complete the newer lease', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  store.createAgent({ id: 'a', name: 'a', type: 'llm' });
  const [old] = store.leaseBatch({ limit: 10, leaseMs: 1 }).changes;
  store.updateAgent({ id: 'a', patch: { name: 'a2' }, expectedVersion: 1 });
  const t0 = Date.now();
  while (Date.now() - t0 < 5);
  const [fresh] = store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes;
  assert.equal(fresh!.data!.name, 'a2');
  assert.notEqual(fresh!.changeId, old!.changeId);
  assert.deepEqual(store.ackChanges([{ queueId: old!.queueId, changeId: old!.changeId, seq: 1 }]), { acked: 0 });
  assert.deepEqual(store.ackChanges([{ queueId: fresh!.queueId, changeId: old!.changeId, seq: 1 }]), { acked: 0 });
  assert.equal(store.getAgent('a').syncStatus, 'pending');
  assert.equal(store.getShadow('agents', 'a'), null, 'the shadow stays where it was');
  assert.deepEqual(store.ackChanges([{ queueId: fresh!.queueId, changeId: fresh!.changeId, seq: 2 }]), { acked: 1 });
  assert.equal(store.getShadow('agents', 'a')!.data!.name, 'a2');
});

test('releaseChanges releases exactly the items named; the rest of their lease stays leased', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  store.createAgent({ id: 'a', name: 'a', type: 'llm' });
  store.createAgent({ id: 'b', name: 'b', type: 'llm' });
  const { changes } = store.leaseBatch({ limit: 10, leaseMs: 60_000 });
  const a = changes.find((c) => c.recordId === 'a')!;
  assert.equal(store.releaseChanges([{ queueId: a.queueId, changeId: a.changeId }, { queueId: a.queueId, changeId: a.changeId }]), 1);
  assert.deepEqual(rows(ts).map((r) => [r.record_id, r.status]), [['a', 'pending'], ['b', 'processing']]);
});
