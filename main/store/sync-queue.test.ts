import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore } from './test-support';
import { REFUSAL, refusalError } from '../../shared/sync/wire';

type TS = ReturnType<typeof openTestStore>;
const items = (ts: TS) =>
  ts.store.unsafeDatabase().prepare('SELECT * FROM sync_queue ORDER BY id').all() as Array<{
    id: number;
    record_id: string;
    operation: string;
    status: string;
    attempts: number;
    error_message: string | null;
    lease_id: string | null;
    next_attempt_at: string | null;
    priority: number;
  }>;

test('lease: priority first, then age; marks processing under one lease id; criticalOnly', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const low = store.createAgent({ id: 'low', name: 'low', type: 'llm' });
  const wf = store.createWorkflow({ id: 'wf', name: 'wf' });
  const crit = store.createAgent({ id: 'crit', name: 'crit', type: 'llm', status: 'critical' });
  const low2 = store.createAgent({ id: 'low2', name: 'low2', type: 'llm' });
  const critical = store.leaseBatch({ limit: 10, leaseMs: 60_000, criticalOnly: true });
  assert.deepEqual(critical.changes.map((c) => c.recordId), [crit.id]);
  store.releaseLeases(critical.leaseId);
  const { leaseId, changes } = store.leaseBatch({ limit: 10, leaseMs: 60_000 });
  assert.deepEqual(changes.map((c) => [c.recordId, c.priority]), [
    [crit.id, 10],
    [wf.id, 6],
    [low.id, 5],
    [low2.id, 5],
  ]);
  assert.ok(items(ts).every((i) => i.status === 'processing' && i.lease_id === leaseId));
  assert.equal(new Set(changes.map((c) => c.changeId)).size, 4);
  const c = changes[0]!;
  assert.deepEqual(c.data, { name: 'crit', type: 'llm', status: 'critical', config: {}, attachments: null, createdAt: crit.createdAt });
  assert.equal(c.op, 'upsert');
  assert.deepEqual(c.vv, { 'node-a': 1 });
  assert.equal(c.baseVv, null);
  assert.equal(store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes.length, 0, 'nothing left to lease');
});

test('lease: a child brings its pending parents along, parents first', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const agent = store.createAgent({ id: 'ag', name: 'ag', type: 'llm' });
  const other = store.createAgent({ id: 'other', name: 'other', type: 'llm', status: 'critical' });
  const wf = store.createWorkflow({ id: 'wf', name: 'wf', agentId: agent.id, status: 'critical' });
  // priority: other 10, wf 10 (older first: other), ag 5 → wf needs ag before it
  const { changes } = store.leaseBatch({ limit: 1, leaseMs: 60_000 });
  assert.deepEqual(changes.map((c) => c.recordId), [other.id], 'a chain that does not fit the limit waits for the next batch');
  const next = store.leaseBatch({ limit: 1, leaseMs: 60_000 });
  assert.deepEqual(next.changes.map((c) => c.recordId), [agent.id, wf.id], 'a first chain may exceed the limit rather than starve');
  // a parent already leased elsewhere is not pulled in again
  const w2 = store.createWorkflow({ id: 'wf2', name: 'wf2', agentId: agent.id, status: 'critical' });
  store.updateAgent({ id: agent.id, patch: { name: 'ag2' }, expectedVersion: 1 });
  const ex = store.createExecution({ id: 'ex', workflowId: w2.id });
  const third = store.leaseBatch({ limit: 10, leaseMs: 60_000 });
  assert.deepEqual(third.changes.map((c) => c.recordId), [agent.id, w2.id, ex.id]);
});

test('ack: completed, shadow = what was pushed, row synced unless written since', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const a = store.createAgent({ id: 'a', name: 'v1', type: 'llm' });
  const b = store.createAgent({ id: 'b', name: 'b1', type: 'llm' });
  const { changes } = store.leaseBatch({ limit: 10, leaseMs: 60_000 });
  // b is written while its push is in flight
  store.updateAgent({ id: b.id, patch: { name: 'b2' }, expectedVersion: 1 });
  assert.deepEqual(store.ackChanges(changes.map((c, i) => ({ queueId: c.queueId, seq: 100 + i }))), { acked: 2 });
  const ra = store.getAgent(a.id);
  assert.equal(ra.syncStatus, 'synced');
  assert.ok(ra.lastSync);
  assert.deepEqual(store.getShadow('agents', a.id), { data: changes[0]!.data, vv: { 'node-a': 1 }, hlc: changes[0]!.hlc, deleted: false });
  const rb = store.getAgent(b.id);
  assert.equal(rb.syncStatus, 'pending', 'b has a newer pending change');
  assert.equal(store.getShadow('agents', b.id)!.data!.name, 'b1', 'the shadow is what was pushed, not the current row');
  const q = items(ts);
  assert.deepEqual(q.map((i) => [i.record_id, i.status]), [['a', 'completed'], ['b', 'completed'], ['b', 'pending']]);
  assert.deepEqual(store.ackChanges([{ queueId: changes[0]!.queueId, seq: 1 }]), { acked: 0 }, 'a second ack is ignored');
  // the next push of b builds on the shadow
  const [next] = store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes;
  assert.deepEqual(next!.baseVv, { 'node-a': 1 });
  assert.equal(next!.baseData!.name, 'b1');
  assert.deepEqual(store.ackChanges([{ queueId: next!.queueId, seq: 5, changeId: '00000000-0000-4000-8000-000000000000' }]), { acked: 0 }, 'wrong change id');
  store.ackChanges([{ queueId: next!.queueId, seq: 5, changeId: next!.changeId }]);
  assert.equal(store.getAgent(b.id).syncStatus, 'synced');
});

test('fail: backoff to pending, then failed at sync.maxAttempts with the error kept; retry resets', (t) => {
  const ts = openTestStore({ settings: { sync: { maxAttempts: 3 } } });
  t.after(() => ts.cleanup());
  const { store } = ts;
  const a = store.createAgent({ id: 'a', name: 'a', type: 'llm' });
  const later = new Date(Date.now() + 3_600_000);
  let [c] = store.leaseBatch({ limit: 1, leaseMs: 60_000 }).changes;
  assert.deepEqual(store.failChanges([{ queueId: c!.queueId, error: 'HTTP 503', retryAt: later }]), { retrying: 1, failed: 0 });
  assert.equal(items(ts)[0]!.status, 'pending');
  assert.equal(items(ts)[0]!.attempts, 1);
  assert.equal(items(ts)[0]!.next_attempt_at, later.toISOString());
  assert.equal(store.leaseBatch({ limit: 1, leaseMs: 60_000 }).changes.length, 0, 'not before next_attempt_at');
  store.unsafeDatabase().prepare('UPDATE sync_queue SET next_attempt_at = ?').run(new Date(Date.now() - 1).toISOString());
  [c] = store.leaseBatch({ limit: 1, leaseMs: 60_000 }).changes;
  store.failChanges([{ queueId: c!.queueId, error: 'HTTP 500', retryAt: null }]);
  [c] = store.leaseBatch({ limit: 1, leaseMs: 60_000 }).changes;
  assert.deepEqual(store.failChanges([{ queueId: c!.queueId, error: 'HTTP 500 again', retryAt: null }]), { retrying: 0, failed: 1 });
  const failed = items(ts)[0]!;
  assert.equal(failed.status, 'failed');
  assert.equal(failed.attempts, 3);
  assert.equal(failed.error_message, 'HTTP 500 again');
  assert.equal(store.getAgent(a.id).syncStatus, 'error');
  assert.equal(store.listQueue({ status: 'failed' }).items[0]!.errorMessage, 'HTTP 500 again');
  assert.equal(store.stats().byStatus.failed, 1);
  assert.deepEqual(store.retry([999]), { retried: 0 });
  assert.deepEqual(store.retry([failed.id]), { retried: 1 });
  const back = items(ts)[0]!;
  assert.deepEqual([back.status, back.attempts, back.error_message], ['pending', 0, null]);
  assert.equal(store.getAgent(a.id).syncStatus, 'pending');
  // a permanent failure (a 4xx) fails at once
  [c] = store.leaseBatch({ limit: 1, leaseMs: 60_000 }).changes;
  assert.deepEqual(store.failChanges([{ queueId: c!.queueId, error: 'HTTP 400 invalid', retryAt: null, permanent: true }]), { retrying: 0, failed: 1 });
  assert.deepEqual(store.retry(), { retried: 1 });
});

test('a failed or released item merges into the record’s newer pending item: still one per record', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const a = store.createAgent({ id: 'a', name: 'a', type: 'llm', status: 'critical' });
  const { changes } = store.leaseBatch({ limit: 1, leaseMs: 60_000 });
  store.updateAgent({ id: a.id, patch: { status: 'active' }, expectedVersion: 1 });
  store.failChanges([{ queueId: changes[0]!.queueId, error: 'timeout', retryAt: null }]);
  const q = items(ts);
  assert.equal(q.length, 1);
  assert.deepEqual([q[0]!.status, q[0]!.operation, q[0]!.priority, q[0]!.attempts], ['pending', 'INSERT', 10, 1]);
  const again = store.leaseBatch({ limit: 1, leaseMs: 60_000 });
  assert.equal(again.changes[0]!.data!.status, 'active', 'built from the current row');
  store.deleteAgent(a.id);
  assert.equal(store.releaseLeases(again.leaseId), 1);
  const merged = items(ts);
  assert.equal(merged.length, 1);
  assert.deepEqual([merged[0]!.status, merged[0]!.operation], ['pending', 'DELETE']);
});

test('release: one lease or all; leases found at open are released; expired leases are reclaimed', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  store.createAgent({ id: 'a', name: 'a', type: 'llm' });
  const first = store.leaseBatch({ limit: 1, leaseMs: 60_000 });
  store.createAgent({ id: 'b', name: 'b', type: 'llm' });
  const second = store.leaseBatch({ limit: 1, leaseMs: 60_000 });
  assert.equal(store.releaseLeases(first.leaseId), 1);
  assert.deepEqual(items(ts).map((i) => i.status), ['pending', 'processing']);
  // the same unchanged state leased again keeps its change id: the hub can recognise a re-push
  const again = store.leaseBatch({ limit: 1, leaseMs: 60_000 });
  assert.equal(again.changes[0]!.changeId, first.changes[0]!.changeId);
  // a worker that dies leaves leases behind: a re-open releases them
  ts.reopen();
  assert.deepEqual(ts.store.stats().byStatus, { pending: 2, processing: 0, completed: 0, failed: 0 });
  // expired leases go back at the next lease call
  const short = ts.store.leaseBatch({ limit: 10, leaseMs: 1 });
  assert.equal(short.changes.length, 2);
  const t0 = Date.now();
  while (Date.now() - t0 < 5);
  const reclaimed = ts.store.leaseBatch({ limit: 10, leaseMs: 60_000 });
  assert.equal(reclaimed.changes.length, 2);
  assert.notEqual(second.leaseId, reclaimed.leaseId);
});

test('queue.list pages by status; stats count by status and priority with the oldest pending age', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  for (let i = 0; i < 5; i++) store.createAgent({ id: `a${i}`, name: `a${i}`, type: 'llm', status: i === 0 ? 'critical' : 'active' });
  store.createWorkflow({ id: 'w', name: 'w' });
  store.unsafeDatabase().prepare(`UPDATE sync_queue SET created_at = ? WHERE record_id = 'a3'`).run(new Date(Date.now() - 60_000).toISOString());
  const { changes } = store.leaseBatch({ limit: 2, leaseMs: 60_000 });
  store.ackChanges([{ queueId: changes[0]!.queueId, seq: 1 }]);
  const stats = store.stats();
  assert.deepEqual(stats.byStatus, { pending: 4, processing: 1, completed: 1, failed: 0 });
  assert.deepEqual(stats.byPriority, [{ priority: 6, count: 1 }, { priority: 5, count: 4 }]);
  assert.ok(stats.oldestPendingAgeMs! >= 59_000 && stats.oldestPendingAgeMs! < 120_000);
  assert.deepEqual(stats.records, { agents: 5, agent_states: 0, workflows: 1, executions: 0 });
  assert.ok(stats.databaseBytes > 0);
  const page = store.listQueue({ status: 'pending', limit: 2 });
  assert.equal(page.total, 4);
  assert.deepEqual(page.items.map((i) => i.recordId), ['a3', 'a1']);
  assert.equal(store.listQueue({ status: 'pending', limit: 2, offset: 2 }).items.length, 2);
  assert.equal(store.listQueue().total, 6);
  assert.throws(() => store.listQueue({ status: 'bogus' as never }));
});

test('changes held because the hub found the clock ahead go at the first lease after a restart; other retry waits stay', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  ts.store.createAgent({ id: 'held', name: 'h', type: 'llm' });
  ts.store.createAgent({ id: 'backoff', name: 'b', type: 'llm' });
  const { changes } = ts.store.leaseBatch({ limit: 10, leaseMs: 60_000 });
  const later = new Date(Date.now() + 60_000);
  const byId = Object.fromEntries(changes.map((c) => [c.recordId, c.queueId]));
  ts.store.failChanges([
    { queueId: byId.held!, error: refusalError(REFUSAL.clockAhead, 'stamped 3 h past the hub clock'), retryAt: later, countAttempt: false },
    { queueId: byId.backoff!, error: 'http_503: the hub is busy', retryAt: later },
  ]);
  assert.equal(ts.store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes.length, 0, 'both wait while this process runs');
  ts.reopen();
  assert.deepEqual(ts.store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes.map((c) => c.recordId), ['held']);
});
