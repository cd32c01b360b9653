import { test } from 'node:test';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { OutpostError } from '../../shared/errors';
import { compareVv } from '../../shared/sync/version-vector';
import { MAX_CLOCK_AHEAD_MS } from '../../shared/sync/hlc';
import { openTestStore, remoteAgent } from './test-support';

type TS = ReturnType<typeof openTestStore>;
const code = (c: string) => (e: unknown) => e instanceof OutpostError && e.code === c;
const queue = (ts: TS) =>
  ts.store.unsafeDatabase().prepare('SELECT record_id, status, conflict_id FROM sync_queue ORDER BY id').all() as Array<{
    record_id: string;
    status: string;
    conflict_id: number | null;
  }>;

/** A local agent that has synced once: created here, pushed, acked. */
function syncedLocalAgent(ts: TS, id: string) {
  ts.store.createAgent({ id, name: 'local', type: 'llm', config: { a: 1 } });
  const { changes } = ts.store.leaseBatch({ limit: 100, leaseMs: 60_000 });
  ts.store.ackChanges(changes.map((c) => ({ queueId: c.queueId, seq: 1 })));
  return ts.store.getAgent(id);
}

test('apply: a record never seen is inserted as synced, the shadow is the remote state, the cursor moves', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const r = remoteAgent('r1', { 'node-b': 3 }, { name: 'from b', config: { deep: { x: [1, 2] } } });
  assert.deepEqual(store.applyRemoteChanges([r], 42), { applied: 1, skipped: 0, conflicts: 0, conflictIds: [] });
  assert.equal(store.getCursor(), 42);
  const a = store.getAgent('r1');
  assert.deepEqual([a.name, a.syncStatus, a.version, a.nodeId, a.hlc], ['from b', 'synced', 1, 'node-b', r.hlc]);
  assert.deepEqual(a.config, { deep: { x: [1, 2] } });
  assert.deepEqual(a.vv, { 'node-b': 3 });
  assert.deepEqual(store.getShadow('agents', 'r1'), { data: r.data, vv: r.vv, hlc: r.hlc, deleted: false });
  assert.equal(queue(ts).length, 0, 'a remote write is not queued back');
  assert.ok(ts.changes.some((c) => c.tables.includes('agents') && c.ids.includes('r1') && c.origin === 'remote'), 'told as the hub’s, not a local write');
  store.createAgent({ id: 'mine', name: 'mine', type: 'llm' });
  assert.equal(ts.changes.at(-1)!.origin, 'local');
  assert.ok(ts.changes.at(-1)!.ids.includes('mine'));
});

test('apply: fast-forward when the remote has seen every local write; skip old news and echoes', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const local = syncedLocalAgent(ts, 'a');
  const newer = remoteAgent('a', { 'node-a': 1, 'node-b': 1 }, { name: 'b edited' });
  assert.equal(store.applyRemoteChanges([newer]).applied, 1);
  const a = store.getAgent('a');
  assert.equal(a.name, 'b edited');
  assert.equal(a.version, local.version + 1, 'a remote write bumps the local version: a stale editor is refused');
  assert.equal(a.createdAt, newer.data!.createdAt, 'createdAt is part of the synced data');
  assert.deepEqual(store.applyRemoteChanges([newer]), { applied: 0, skipped: 1, conflicts: 0, conflictIds: [] }, 'echo');
  assert.equal(store.applyRemoteChanges([remoteAgent('a', { 'node-a': 1 }, { name: 'old' })]).skipped, 1, 'old news');
  assert.equal(store.getAgent('a').name, 'b edited');
  // remote delete fast-forwards to a tombstone
  store.applyRemoteChanges([remoteAgent('a', { 'node-a': 1, 'node-b': 2 }, {}, { op: 'delete' })]);
  assert.throws(() => store.getAgent('a'), code('not_found'));
  assert.equal(store.getShadow('agents', 'a')!.deleted, true);
});

test('apply: a concurrent remote change is a conflict; the local row is never overwritten and its item is blocked', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const base = syncedLocalAgent(ts, 'a');
  const mine = store.updateAgent({ id: 'a', patch: { name: 'mine', config: { a: 2 } }, expectedVersion: base.version });
  const theirs = remoteAgent('a', { 'node-a': 1, 'node-b': 1 }, { name: 'theirs', config: { a: 1, b: 1 } }, { seq: 7 });
  const result = store.applyRemoteChanges([theirs], 7);
  assert.equal(result.conflicts, 1);
  assert.equal(store.getCursor(), 7);
  const row = store.getAgent('a');
  assert.deepEqual([row.name, row.syncStatus, row.version], ['mine', 'conflict', mine.version]);
  assert.deepEqual(row.config, { a: 2 });
  assert.ok(queue(ts).find((q) => q.status === 'pending')!.conflict_id, 'the pending item is blocked');
  assert.equal(store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes.length, 0, 'a blocked item is not leased');
  const detail = store.getConflict(result.conflictIds[0]!);
  assert.equal(detail.type, 'update-update');
  assert.equal(detail.status, 'pending');
  assert.deepEqual(detail.base, { name: 'local', type: 'llm', status: 'inactive', config: { a: 1 }, attachments: null, createdAt: base.createdAt });
  assert.equal(detail.local!.name, 'mine');
  assert.equal(detail.remote!.name, 'theirs');
  assert.deepEqual(detail.remoteVv, { 'node-a': 1, 'node-b': 1 });
  assert.equal(detail.remoteNodeId, 'node-b');
  // a local edit while in conflict keeps the item blocked and the conflict's local side current
  store.updateAgent({ id: 'a', patch: { name: 'mine again' }, expectedVersion: mine.version });
  assert.equal(store.getAgent('a').syncStatus, 'conflict');
  assert.equal(store.getConflict(detail.id).local!.name, 'mine again');
  assert.equal(store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes.length, 0);
  // a newer concurrent remote state updates the same conflict rather than adding one
  const again = store.applyRemoteChanges([remoteAgent('a', { 'node-a': 1, 'node-b': 2 }, { name: 'theirs 2' })]);
  assert.deepEqual(again.conflictIds, [detail.id]);
  assert.equal(store.listConflicts({ status: 'pending' }).total, 1);
  assert.equal(store.getConflict(detail.id).remote!.name, 'theirs 2');
  assert.equal(store.stats().conflictsByStatus.pending, 1);
});

test('apply: a remote state that includes the pending local write fast-forwards and drops the item', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const base = syncedLocalAgent(ts, 'a');
  store.updateAgent({ id: 'a', patch: { name: 'mine' }, expectedVersion: base.version });
  // node-b saw our write (pushed, ack lost) and wrote on top of it
  const r = store.applyRemoteChanges([remoteAgent('a', { 'node-a': 2, 'node-b': 1 }, { name: 'mine, then b' })]);
  assert.equal(r.applied, 1);
  assert.equal(store.getAgent('a').name, 'mine, then b');
  assert.equal(store.getAgent('a').syncStatus, 'synced');
  assert.deepEqual(queue(ts).filter((q) => q.status === 'pending'), []);
});

test('apply: create-create and delete-update conflicts; concurrent deletes agree', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  store.createAgent({ id: 'same', name: 'mine', type: 'llm' });
  const cc = store.applyRemoteChanges([remoteAgent('same', { 'node-b': 1 }, { name: 'theirs' })]);
  const created = store.getConflict(cc.conflictIds[0]!);
  assert.equal(created.type, 'create-create');
  assert.equal(created.base, null);

  const a = syncedLocalAgent(ts, 'del-local');
  store.deleteAgent(a.id);
  const du = store.applyRemoteChanges([remoteAgent(a.id, { 'node-a': 1, 'node-b': 1 }, { name: 'edited remotely' })]);
  const d1 = store.getConflict(du.conflictIds[0]!);
  assert.equal(d1.type, 'delete-update');
  assert.equal(d1.local, null);
  assert.throws(() => store.getAgent(a.id), code('not_found'), 'the local delete stands');

  const b = syncedLocalAgent(ts, 'del-remote');
  store.updateAgent({ id: b.id, patch: { name: 'edited here' }, expectedVersion: b.version });
  const ud = store.applyRemoteChanges([remoteAgent(b.id, { 'node-a': 1, 'node-b': 1 }, {}, { op: 'delete' })]);
  const d2 = store.getConflict(ud.conflictIds[0]!);
  assert.equal(d2.type, 'delete-update');
  assert.equal(d2.remote, null);
  assert.equal(store.getAgent(b.id).name, 'edited here');

  const c = syncedLocalAgent(ts, 'both-deleted');
  store.deleteAgent(c.id);
  const dd = store.applyRemoteChanges([remoteAgent(c.id, { 'node-a': 1, 'node-b': 1 }, {}, { op: 'delete' })]);
  assert.equal(dd.conflicts, 0);
  const vv = JSON.parse((store.unsafeDatabase().prepare('SELECT vv FROM agents WHERE id = ?').get(c.id) as { vv: string }).vv);
  assert.deepEqual(vv, { 'node-a': 2, 'node-b': 1 }, 'merged: the pending delete now descends from the remote one');
});

test('apply: a corrupt or hostile batch is refused whole; nothing is written and the cursor stays', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  store.applyRemoteChanges([remoteAgent('ok0', { 'node-b': 1 })], 5);
  const bad = [
    { ...remoteAgent('x1', { 'node-b': 1 }), table: 'sqlite_schema' },
    { ...remoteAgent("x'; DROP TABLE agents; --", { 'node-b': 1 }) },
    { ...remoteAgent('x2', { 'node-b': 1 }), data: { name: 'n', type: 't', status: 'active', config: {}, sync_status: 'synced' } },
    { ...remoteAgent('x3', { 'node-b': 1 }), data: { name: 5, type: 't', status: 'active', config: {} } },
    { ...remoteAgent('x4', { 'node-b': -1 }) },
    { ...remoteAgent('x5', { 'node-b': 1 }), hlc: 'yesterday' },
    { ...remoteAgent('x6', { 'bad node': 1 }) },
  ];
  for (const b of bad) {
    assert.throws(() => store.applyRemoteChanges([remoteAgent('fine', { 'node-b': 1 }), b as never], 99), code('invalid_input'), JSON.stringify(b).slice(0, 80));
  }
  assert.equal(store.getCursor(), 5);
  assert.throws(() => store.getAgent('fine'), code('not_found'));
  assert.equal(store.listAgents().total, 1);
});

test('apply: a child before its parent gets a hidden placeholder parent, which the parent later fast-forwards', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const wf = { table: 'workflows' as const, recordId: 'wf', op: 'upsert' as const, data: { name: 'W', definition: {}, status: 'active', agentId: 'late-agent' }, vv: { 'node-b': 1 }, hlc: `${String(Date.now()).padStart(15, '0')}-000000-node-b`, nodeId: 'node-b', seq: 1 };
  const ex = { ...wf, table: 'executions' as const, recordId: 'ex', data: { workflowId: 'late-wf', status: 'completed', inputData: { q: 1 } }, seq: 2 };
  assert.equal(store.applyRemoteChanges([wf, ex]).applied, 2);
  assert.equal(store.getWorkflow('wf').agentId, 'late-agent');
  assert.equal(store.listAgents().total, 0, 'placeholders are tombstones');
  assert.equal(store.listWorkflows().total, 1);
  assert.equal(store.applyRemoteChanges([remoteAgent('late-agent', { 'node-b': 1 }, { name: 'arrived' })]).applied, 1);
  assert.equal(store.getAgent('late-agent').name, 'arrived');
});

test('apply: remote clocks are taken in, so the next local write sorts after them', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const ahead = Date.now() + MAX_CLOCK_AHEAD_MS - 10_000; // as far ahead as the hub lets a stamp be
  store.applyRemoteChanges([remoteAgent('r', { 'node-b': 1 }, {}, { wallMs: ahead })]);
  const mine = store.createAgent({ name: 'x', type: 'y' });
  assert.ok(mine.hlc > store.getAgent('r').hlc);
});

test('push conflicts: equal = lost ack (completed), local descends = rebase on the hub state, else a conflict', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  store.createAgent({ id: 'eq', name: 'eq', type: 'llm' });
  store.createAgent({ id: 'desc', name: 'desc', type: 'llm' });
  store.createAgent({ id: 'conc', name: 'conc', type: 'llm' });
  // desc was pushed once before (the hub has {node-a: 1}) but that ack was lost, then edited again
  store.updateAgent({ id: 'desc', patch: { name: 'desc 2' }, expectedVersion: 1 });
  const { changes } = store.leaseBatch({ limit: 10, leaseMs: 60_000 });
  const byId = Object.fromEntries(changes.map((c) => [c.recordId, c]));
  const state = (id: string, vv: Record<string, number>, name: string) => ({
    table: 'agents' as const,
    recordId: id,
    data: { name, type: 'llm', status: 'inactive', config: {} },
    deleted: false,
    vv,
    hlc: `${String(Date.now() - 1000).padStart(15, '0')}-000000-node-b`,
    nodeId: 'node-b',
    seq: 3,
  });
  const out = store.recordPushConflicts([
    { queueId: byId.eq!.queueId, remote: state('eq', { 'node-a': 1 }, 'eq') },
    { queueId: byId.desc!.queueId, remote: state('desc', { 'node-a': 1 }, 'desc') },
    { queueId: byId.conc!.queueId, remote: state('conc', { 'node-b': 1 }, 'theirs') },
  ]);
  assert.deepEqual([out.completed, out.requeued, out.conflicts], [1, 1, 1]);
  assert.equal(store.getAgent('eq').syncStatus, 'synced');
  assert.equal(store.getAgent('conc').syncStatus, 'conflict');
  assert.equal(store.getAgent('conc').name, 'conc');
  const next = store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes;
  assert.deepEqual(next.map((c) => c.recordId), ['desc'], 'the conflicted item stays blocked');
  assert.deepEqual(next[0]!.baseVv, { 'node-a': 1 }, 'rebased on the hub state');
  assert.notEqual(next[0]!.changeId, byId.desc!.changeId, 'a new base means a new change');
});

test('resolveConflict: a local write descending from both sides; shadow = remote; the item syncs; undo reopens', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const base = syncedLocalAgent(ts, 'a');
  store.updateAgent({ id: 'a', patch: { name: 'mine' }, expectedVersion: base.version });
  const remote = remoteAgent('a', { 'node-a': 1, 'node-b': 4 }, { name: 'theirs', config: { t: 1 } });
  const [id] = store.applyRemoteChanges([remote]).conflictIds;
  const resolved = store.resolveConflict(id!, {
    resolvedData: { name: 'merged', type: 'llm', status: 'active', config: { t: 1 }, createdAt: base.createdAt },
    strategy: 'merge',
    resolvedBy: 'system',
    confidence: 0.9,
    automatic: true,
  });
  assert.equal(resolved.status, 'resolved');
  assert.equal(resolved.strategy, 'merge');
  assert.equal(resolved.confidence, 0.9);
  assert.equal(resolved.replaced!.name, 'mine');
  assert.equal(resolved.resolved!.name, 'merged');
  const row = store.getAgent('a');
  assert.equal(row.name, 'merged');
  assert.equal(row.syncStatus, 'pending');
  assert.equal(compareVv(row.vv, { 'node-a': 2 }), 'after', 'descends from local');
  assert.equal(compareVv(row.vv, remote.vv), 'after', 'descends from remote');
  assert.deepEqual(store.getShadow('agents', 'a')!.vv, remote.vv);
  assert.throws(() => store.resolveConflict(id!, { resolvedData: null, strategy: 'local', resolvedBy: 'me', automatic: false }), code('conflict'));
  const [change] = store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes;
  assert.equal(change!.recordId, 'a');
  assert.deepEqual(change!.baseVv, remote.vv, 'pushed on top of the remote state: the hub accepts it');
  assert.equal(change!.data!.name, 'merged');
  store.releaseLeases();

  const undone = store.undoResolution(id!);
  assert.equal(undone.status, 'pending');
  assert.equal(store.getAgent('a').name, 'mine');
  assert.equal(store.getAgent('a').syncStatus, 'conflict');
  assert.equal(store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes.length, 0, 'blocked again');
  // a person resolves by deleting; undo is only for automatic resolutions
  store.resolveConflict(id!, { resolvedData: null, strategy: 'delete', resolvedBy: 'alice', automatic: false });
  assert.throws(() => store.getAgent('a'), code('not_found'));
  assert.throws(() => store.undoResolution(id!), code('conflict'));
  const [del] = store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes;
  assert.equal(del!.op, 'delete');
  assert.equal(compareVv(del!.vv, remote.vv), 'after');
});

test('conflicts: list by status, escalate, invalid resolution data refused, superseded by a remote that saw both', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const base = syncedLocalAgent(ts, 'a');
  store.updateAgent({ id: 'a', patch: { name: 'mine' }, expectedVersion: base.version });
  const [id] = store.applyRemoteChanges([remoteAgent('a', { 'node-a': 1, 'node-b': 1 })]).conflictIds;
  assert.throws(() => store.resolveConflict(id!, { resolvedData: { name: 1 } as never, strategy: 'x', resolvedBy: 'me', automatic: false }), code('invalid_input'));
  assert.throws(() => store.getConflict(12345), code('not_found'));
  assert.equal(store.escalateConflict(id!).status, 'escalated');
  assert.equal(store.listConflicts({ status: 'escalated' }).total, 1);
  assert.equal(store.listConflicts({ status: 'pending' }).total, 0);
  // node-b resolved it and its result (seeing both writes) arrives: nothing left to decide
  store.applyRemoteChanges([remoteAgent('a', { 'node-a': 2, 'node-b': 2 }, { name: 'resolved by b' })]);
  assert.equal(store.getConflict(id!).status, 'resolved');
  assert.equal(store.getConflict(id!).strategy, 'superseded');
  assert.equal(store.getAgent('a').name, 'resolved by b');
  assert.equal(store.getAgent('a').syncStatus, 'synced');
  assert.equal(queue(ts).filter((q) => q.status === 'pending').length, 0);
});

test('a conflict found while the record’s push is in flight blocks the item when it comes back', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const base = syncedLocalAgent(ts, 'a');
  store.updateAgent({ id: 'a', patch: { name: 'mine' }, expectedVersion: base.version });
  const { changes } = store.leaseBatch({ limit: 10, leaseMs: 60_000 });
  assert.equal(changes.length, 1);
  const r = store.applyRemoteChanges([remoteAgent('a', { 'node-a': 1, 'node-b': 1 }, { name: 'theirs' })]);
  assert.equal(r.conflicts, 1);
  store.failChanges([{ queueId: changes[0]!.queueId, error: 'timeout', retryAt: null }]);
  assert.equal(queue(ts).find((q) => q.status === 'pending')!.conflict_id, r.conflictIds[0]);
  assert.equal(store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes.length, 0);
});

test('push conflict against a record the hub does not have (an empty vector): rebase on "absent", push again in full', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  syncedLocalAgent(ts, 'a'); // the shadow says the hub has it...
  store.updateAgent({ id: 'a', patch: { name: 'edited' }, expectedVersion: 1 });
  const [c] = store.leaseBatch({ limit: 1, leaseMs: 60_000 }).changes;
  assert.deepEqual(c!.baseVv, { 'node-a': 1 });
  // ...but the hub lost it
  const absent = { table: 'agents' as const, recordId: 'a', data: null, deleted: true, vv: {}, hlc: c!.hlc, nodeId: 'node-a', seq: 0 };
  assert.equal(store.recordPushConflicts([{ queueId: c!.queueId, remote: absent }]).requeued, 1);
  const [again] = store.leaseBatch({ limit: 1, leaseMs: 60_000 }).changes;
  assert.deepEqual(again!.baseVv, {});
  assert.equal(again!.baseData, null);
  assert.equal(again!.data!.name, 'edited');
});

test('workflows and executions travel too: camelCase data out, full states in, parents before children', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const a = store.createAgent({ id: 'ag', name: 'ag', type: 'llm' });
  const w = store.createWorkflow({ id: 'wf', name: 'wf', agentId: a.id, definition: { steps: ['x'] } });
  store.createExecution({ id: 'ex', workflowId: w.id, inputData: { q: 1 } });
  const { changes } = store.leaseBatch({ limit: 10, leaseMs: 60_000 });
  assert.deepEqual(changes.map((c) => c.table), ['agents', 'workflows', 'executions'], 'parents before children');
  const ex = changes[2]!;
  assert.deepEqual(Object.keys(ex.data!).sort(), ['attachments', 'completedAt', 'createdAt', 'durationMs', 'errorMessage', 'inputData', 'outputData', 'resourceUsage', 'startedAt', 'status', 'workflowId']);
  assert.deepEqual(ex.data!.inputData, { q: 1 });
  assert.deepEqual(changes[1]!.data!.definition, { steps: ['x'] });
  assert.deepEqual(Object.keys(changes[1]!.data!).sort(), ['agentId', 'createdAt', 'definition', 'name', 'status'], 'derived counts never travel');

  const hlc = (n: number) => `${String(Date.now()).padStart(15, '0')}-${String(n).padStart(6, '0')}-node-b`;
  const r = store.applyRemoteChanges([
    { table: 'workflows', recordId: 'wf2', op: 'upsert', data: { name: 'remote wf', definition: { a: 1 }, status: 'active', agentId: a.id, executionCount: 3, lastExecution: '2026-01-02T00:00:00.000Z' }, vv: { 'node-b': 1 }, hlc: hlc(1), nodeId: 'node-b', seq: 1 },
    { table: 'executions', recordId: 'ex2', op: 'upsert', data: { workflowId: 'wf2', status: 'completed', inputData: null, outputData: { ok: true }, durationMs: 12, resourceUsage: { cpu: 1 } }, vv: { 'node-b': 1 }, hlc: hlc(2), nodeId: 'node-b', seq: 2 },
  ], 2);
  assert.equal(r.applied, 2);
  const w2 = store.getWorkflow('wf2');
  // the counts a hub state written before they were derived carries are dropped: this node counts ex2 itself
  assert.deepEqual([w2.name, w2.executionCount, w2.syncStatus], ['remote wf', 1, 'synced']);
  assert.equal(w2.lastExecution, store.getExecution('ex2').createdAt);
  const e2 = store.getExecution('ex2');
  assert.deepEqual([e2.status, e2.durationMs, e2.outputData, e2.inputData], ['completed', 12, { ok: true }, null]);
  assert.throws(() => store.applyRemoteChanges([{ table: 'executions', recordId: 'ex3', op: 'upsert', data: { workflowId: 'wf2', status: 'done' }, vv: { 'node-b': 2 }, hlc: hlc(3), nodeId: 'node-b', seq: 3 }]), code('invalid_input'));
  assert.throws(() => store.updateExecution({ id: 'ex2', patch: { durationMs: 5 } as never, expectedVersion: 1 }), /no editable field "durationMs"/);
});

test('keep-both: createRecordCopy writes the other side as a new record that syncs', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const data = { id: 'orig', name: 'copy', type: 'llm', status: 'active', config: { k: 1 }, createdAt: '2020-01-01T00:00:00.000Z' };
  const id = store.createRecordCopy('agents', 'orig.copy-1', data);
  assert.equal(id, 'orig.copy-1', 'the copy takes the id the conflict engine derived');
  assert.equal(store.createRecordCopy('agents', 'orig.copy-1', data), id, 'a retried keep-both finds its copy');
  assert.equal(store.listAgents({}).total, 1, 'and makes no second one');
  const copy = store.getAgent(id);
  assert.deepEqual([copy.name, copy.status, copy.syncStatus], ['copy', 'active', 'pending']);
  assert.notEqual(copy.createdAt, '2020-01-01T00:00:00.000Z', 'a copy is a new record');
  assert.equal(store.listQueue({ status: 'pending' }).items[0]!.recordId, id);
});

/**
 * The set-wise apply (local rows read per page, new rows and shadows written by multi-row INSERTs) against the
 * same changes applied one call each, from one starting database: a page of 400 mixed changes (three tables,
 * children before and after their parents, a record several times, deletes, old news, conflicts with pending
 * local edits) must leave the same rows, shadows, queue and conflicts.
 */
test('apply: a page applied at once ends exactly as its changes applied one by one', (t) => {
  const a = openTestStore();
  t.after(() => a.cleanup());
  // local state: synced agents, some edited since (pending), a workflow and an execution of our own
  for (let i = 0; i < 10; i++) a.store.createAgent({ id: `a${i}`, name: `local ${i}`, type: 'llm', config: { i } });
  a.store.createWorkflow({ id: 'w0', name: 'local wf', agentId: 'a0' });
  a.store.createExecution({ id: 'e0', workflowId: 'w0', status: 'running' });
  const { changes: leased } = a.store.leaseBatch({ limit: 100, leaseMs: 60_000 });
  a.store.ackChanges(leased.map((c, k) => ({ queueId: c.queueId, seq: k + 1 })));
  for (let i = 0; i < 5; i++) a.store.updateAgent({ id: `a${i}`, patch: { name: `edited ${i}` }, expectedVersion: 1 });
  a.store.close();
  const b = openTestStore({ dir: mkdtempSync(join(tmpdir(), 'outpost-store-')) });
  t.after(() => b.cleanup());
  b.store.close();
  copyFileSync(a.path, b.path);
  a.reopen();
  b.reopen();
  const localVv = (id: string) => (a.store.unsafeDatabase().prepare('SELECT vv FROM agents WHERE id = ?').get(id) as { vv: string } | undefined)?.vv;

  let seed = 7;
  const rand = (n: number) => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) >>> 16) % n;
  const counters = new Map<string, number>();
  const wall = Date.now();
  const page = Array.from({ length: 400 }, (_, k) => {
    const table = (['agents', 'agents', 'workflows', 'executions'] as const)[rand(4)]!;
    const recordId = `${table[0]}${rand(table === 'agents' ? 40 : 25)}`;
    const key = `${table}/${recordId}`;
    const oldNews = rand(10) === 0 && (counters.get(key) ?? 0) > 1;
    const n = oldNews ? 1 : (counters.get(key) ?? 0) + 1;
    counters.set(key, Math.max(n, counters.get(key) ?? 0));
    const local = table === 'agents' ? localVv(recordId) : undefined;
    // seeing the local writes makes it a fast-forward; not seeing them (half the time) a conflict
    const vv: Record<string, number> = { 'node-b': n, ...(local && rand(2) === 0 ? (JSON.parse(local) as Record<string, number>) : {}) };
    const op = rand(8) === 0 ? ('delete' as const) : ('upsert' as const);
    const createdAt = '2026-01-01T00:00:00.000Z';
    const data =
      table === 'agents'
        ? { name: `remote ${k}`, type: 'llm', status: (['active', 'inactive', 'paused'] as const)[rand(3)], config: { k }, createdAt }
        : table === 'workflows'
          ? { name: `wf ${k}`, definition: { k }, status: 'active', agentId: rand(3) ? `a${rand(40)}` : null, createdAt }
          : { workflowId: `w${rand(25)}`, status: 'completed', inputData: { k }, durationMs: k, createdAt };
    return { table, recordId, op, data: op === 'delete' ? null : data, vv, hlc: `${String(wall).padStart(15, '0')}-${String(k).padStart(6, '0')}-node-b`, nodeId: 'node-b', seq: k + 1 };
  });

  const together = a.store.applyRemoteChanges(page, 400);
  const oneByOne = { applied: 0, skipped: 0, conflicts: 0 };
  for (const [k, c] of page.entries()) {
    const r = b.store.applyRemoteChanges([c], k + 1);
    oneByOne.applied += r.applied;
    oneByOne.skipped += r.skipped;
    oneByOne.conflicts += r.conflicts;
  }
  assert.deepEqual({ applied: together.applied, skipped: together.skipped, conflicts: together.conflicts }, oneByOne);
  assert.ok(oneByOne.applied > 200 && oneByOne.skipped > 10 && oneByOne.conflicts > 0, JSON.stringify(oneByOne));
  const dump = (s: TS['store']) => {
    const db = s.unsafeDatabase();
    const all = (sql: string) => db.prepare(sql).all();
    return {
      // placeholders take their times from the clock: not the page's to decide
      rows: ['agents', 'workflows', 'executions'].map((t) =>
        all(`SELECT *, vv = '{}' AS placeholder FROM ${t} ORDER BY id`).map((r) => {
          const row = r as { placeholder: number };
          return { ...row, last_sync: null, ...(row.placeholder ? { created_at: null, updated_at: null } : {}) };
        }),
      ),
      shadows: all('SELECT table_name, record_id, json_extract(data, \'$\') AS data, vv, hlc, deleted FROM sync_shadow ORDER BY 1, 2').map((r) => {
        const row = r as { data: string | null };
        return { ...row, data: row.data === null ? null : (JSON.parse(row.data) as unknown) };
      }),
      queue: all('SELECT id, table_name, record_id, operation, status, conflict_id, error_message FROM sync_queue ORDER BY id'),
      conflicts: all('SELECT id, table_name, record_id, type, base_data, local_data, remote_data, local_vv, remote_vv, remote_hlc, status FROM conflict_resolution ORDER BY id'),
      cursor: s.getCursor(),
    };
  };
  assert.deepEqual(dump(a.store), dump(b.store));
  assert.deepEqual(a.store.unsafeDatabase().pragma('foreign_key_check'), []);
  assert.deepEqual(a.store.unsafeDatabase().pragma('integrity_check'), [{ integrity_check: 'ok' }]);
  // the clock took in the page: the next local write sorts after all of it
  assert.ok(a.store.createAgent({ name: 'after', type: 'llm' }).hlc > page.at(-1)!.hlc);
});

test('apply: a fast-forward that leaves indexed columns out of its UPDATE keeps every index right', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  store.applyRemoteChanges([remoteAgent('same', { 'node-b': 1 }, { status: 'paused' }), remoteAgent('gone', { 'node-b': 1 }, { status: 'paused' })]);
  syncedLocalAgent(ts, 'pending');
  store.updateAgent({ id: 'pending', patch: { status: 'running' }, expectedVersion: 1 });
  store.applyRemoteChanges([remoteAgent('gone', { 'node-b': 2 }, {}, { op: 'delete' })]);
  store.applyRemoteChanges([
    remoteAgent('same', { 'node-b': 2 }, { status: 'paused', name: 'renamed' }), // status unchanged: left out
    remoteAgent('pending', { 'node-a': 2, 'node-b': 1 }, { status: 'running' }), // pending -> synced
    remoteAgent('gone', { 'node-b': 3 }, { status: 'paused' }), // a tombstone comes back: deleted 1 -> 0
  ]);
  const db = store.unsafeDatabase();
  const viaIndex = (sql: string, ...args: unknown[]) => db.prepare(sql).all(...args).map((r) => (r as { id: string }).id);
  assert.deepEqual(viaIndex(`SELECT id FROM agents INDEXED BY idx_agents_status WHERE status = 'paused' AND deleted = 0 ORDER BY id`), ['gone', 'same']);
  assert.deepEqual(viaIndex(`SELECT id FROM agents INDEXED BY idx_agents_sync_status WHERE sync_status = 'synced' ORDER BY id`), ['gone', 'pending', 'same']);
  assert.deepEqual(viaIndex(`SELECT id FROM agents INDEXED BY idx_agents_sync_status WHERE sync_status = 'pending'`), []);
  assert.equal(store.getAgent('same').name, 'renamed');
  assert.equal(store.getAgent('gone').status, 'paused');
  assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
});

test('apply: a row fast-forwarded to a parent that is new earlier in the same page (the parent is written first)', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const hlc = (n: number) => `${String(Date.now()).padStart(15, '0')}-${String(n).padStart(6, '0')}-node-b`;
  const wf = (agentId: string | null, n: number) => ({ table: 'workflows' as const, recordId: 'wf', op: 'upsert' as const, data: { name: 'W', definition: {}, status: 'active', agentId }, vv: { 'node-b': n }, hlc: hlc(n), nodeId: 'node-b', seq: n });
  store.applyRemoteChanges([wf(null, 1)]);
  const r = store.applyRemoteChanges([remoteAgent('new-parent', { 'node-b': 1 }), wf('new-parent', 2)]);
  assert.equal(r.applied, 2);
  assert.equal(store.getWorkflow('wf').agentId, 'new-parent');
  assert.equal(store.getAgent('new-parent').syncStatus, 'synced');
  assert.deepEqual(store.unsafeDatabase().pragma('foreign_key_check'), []);
});

test('concurrent deletes: the merged tombstone takes a clock after the remote one, syncs, and its shadow follows (model seed 2047550603)', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  syncedLocalAgent(ts, 'r3');
  store.deleteAgent('r3', 1); // {node-a: 2}, pending
  const remote = remoteAgent('r3', { 'node-a': 1, 'node-b': 1 }, {}, { op: 'delete', wallMs: Date.now() + 60_000 });
  assert.equal(store.applyRemoteChanges([remote]).conflicts, 0, 'two deletes agree');
  const row = ts.store.unsafeDatabase().prepare('SELECT vv, hlc, sync_status FROM agents WHERE id = ?').get('r3') as { vv: string; hlc: string; sync_status: string };
  assert.deepEqual(JSON.parse(row.vv), { 'node-a': 2, 'node-b': 1 });
  assert.ok(row.hlc > remote.hlc, 'the merge is a new local state, after the remote clock');
  const { changes } = store.leaseBatch({ limit: 10, leaseMs: 60_000 });
  assert.equal(changes.length, 1);
  assert.equal(changes[0]!.op, 'delete');
  store.ackChanges(changes.map((c) => ({ queueId: c.queueId, seq: 7, changeId: c.changeId })));
  assert.deepEqual(store.getShadow('agents', 'r3')!.vv, { 'node-a': 2, 'node-b': 1 }, 'the shadow is what was pushed');
  const after = ts.store.unsafeDatabase().prepare('SELECT sync_status FROM agents WHERE id = ?').get('r3') as { sync_status: string };
  assert.equal(after.sync_status, 'synced');
});
