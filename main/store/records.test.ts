import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutpostError } from '../../shared/errors';
import { openTestStore } from './test-support';

const code = (c: string, message?: RegExp) => (e: unknown) => e instanceof OutpostError && e.code === c && (!message || message.test(e.message));

function queueRows(ts: ReturnType<typeof openTestStore>) {
  return ts.store.unsafeDatabase().prepare('SELECT table_name, record_id, operation, priority, status FROM sync_queue ORDER BY id').all() as Array<{
    table_name: string;
    record_id: string;
    operation: string;
    priority: number;
    status: string;
  }>;
}

test('agents: create, get, list with status filter, search and paging', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const a = store.createAgent({ name: 'Alpha planner', type: 'llm', config: { model: 'm1', temperature: 0.2 } });
  assert.equal(a.version, 1);
  assert.equal(a.status, 'inactive');
  assert.equal(a.syncStatus, 'pending');
  assert.deepEqual(a.vv, { 'node-a': 1 });
  assert.match(a.hlc, /^\d{15}-\d{6}-node-a$/);
  assert.equal(a.nodeId, 'node-a');
  assert.deepEqual(store.getAgent(a.id), a);
  for (let i = 0; i < 12; i++) store.createAgent({ id: `bulk-${i}`, name: `Bulk ${i}`, type: i % 2 ? 'tool' : 'llm', status: i % 3 ? 'active' : 'paused' });
  assert.equal(store.listAgents().total, 13);
  assert.equal(store.listAgents({ status: 'paused' }).total, 4);
  assert.deepEqual(store.listAgents({ search: 'alpha' }).items.map((x) => x.id), [a.id], 'search is case-insensitive on name');
  assert.equal(store.listAgents({ search: 'tool' }).total, 6, 'search covers type');
  assert.equal(store.listAgents({ search: '%' }).total, 0, 'LIKE wildcards in the search are literal');
  const page = store.listAgents({ offset: 10, limit: 5 });
  assert.equal(page.items.length, 3);
  assert.equal(page.total, 13);
  assert.throws(() => store.getAgent('missing'), code('not_found', /"missing" does not exist/));
  assert.throws(() => store.createAgent({ id: a.id, name: 'dup', type: 'llm' }), code('conflict', /already exists/));
});

test('update: optimistic concurrency, version_conflict with an actionable message, not_found', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const a = store.createAgent({ name: 'A', type: 'llm' });
  const b = store.updateAgent({ id: a.id, patch: { name: 'B', config: { x: 1 } }, expectedVersion: 1 });
  assert.equal(b.version, 2);
  assert.equal(b.name, 'B');
  assert.deepEqual(b.config, { x: 1 });
  assert.deepEqual(b.vv, { 'node-a': 2 });
  assert.ok(b.hlc > a.hlc, 'every write advances the clock');
  assert.throws(
    () => store.updateAgent({ id: a.id, patch: { name: 'stale' }, expectedVersion: 1 }),
    code('version_conflict', /changed since you read it \(you have version 1, it is now at version 2\): reload/),
  );
  assert.equal(store.getAgent(a.id).name, 'B', 'a refused update changes nothing');
  assert.throws(() => store.updateAgent({ id: 'nope', patch: { name: 'x' }, expectedVersion: 1 }), code('not_found'));
  assert.throws(() => store.updateAgent({ id: a.id, patch: {}, expectedVersion: 2 }), code('invalid_input', /empty/));
  assert.throws(() => store.updateAgent({ id: a.id, patch: { status: 'bogus' as never }, expectedVersion: 2 }), code('invalid_input'));
  assert.throws(() => store.updateAgent({ id: a.id, patch: { name: 'x' }, expectedVersion: 0 }), code('invalid_input'));
});

test('delete is a tombstone: hidden from get and list, synced as a delete, version-checked when asked', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const a = store.createAgent({ name: 'A', type: 'llm' });
  assert.throws(() => store.deleteAgent(a.id, 7), code('version_conflict'));
  assert.deepEqual(store.deleteAgent(a.id, 1), { id: a.id, deleted: true });
  assert.throws(() => store.getAgent(a.id), code('not_found'));
  assert.equal(store.listAgents().total, 0);
  assert.equal(store.stats().records.agents, 0);
  assert.throws(() => store.deleteAgent(a.id), code('not_found'));
  const row = store.unsafeDatabase().prepare('SELECT deleted, version, vv FROM agents WHERE id = ?').get(a.id) as { deleted: number; version: number; vv: string };
  assert.deepEqual(row, { deleted: 1, version: 2, vv: '{"node-a":2}' });
});

test('every write enqueues its change in the same transaction, for every table', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const a = store.createAgent({ name: 'A', type: 'llm' });
  const w = store.createWorkflow({ name: 'W', agentId: a.id, definition: { steps: [1, 2] } });
  const e = store.createExecution({ workflowId: w.id, inputData: { q: 'hi' } });
  assert.deepEqual(
    queueRows(ts).map((r) => [r.table_name, r.record_id, r.operation, r.priority, r.status]),
    [
      ['agents', a.id, 'INSERT', 5, 'pending'],
      ['workflows', w.id, 'INSERT', 6, 'pending'],
      ['executions', e.id, 'INSERT', 4, 'pending'],
    ],
  );
  // once leased, further writes make new pending items
  store.leaseBatch({ limit: 10, leaseMs: 60_000 });
  store.updateWorkflow({ id: w.id, patch: { status: 'active' }, expectedVersion: 1 });
  store.updateExecution({ id: e.id, patch: { status: 'running', outputData: { a: 1 } }, expectedVersion: 1 });
  store.deleteAgent(a.id);
  const pending = queueRows(ts).filter((r) => r.status === 'pending');
  assert.deepEqual(
    pending.map((r) => [r.table_name, r.operation]),
    [
      ['workflows', 'UPDATE'],
      ['executions', 'UPDATE'],
      ['agents', 'DELETE'],
    ],
  );
  assert.equal(queueRows(ts).filter((r) => r.status === 'processing').length, 3);
});

test('a failed write leaves neither the row nor the queue item', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  assert.throws(() => store.createWorkflow({ name: 'orphan', agentId: 'no-such-agent' }), code('invalid_input', /Agent "no-such-agent" does not exist/));
  assert.throws(() => store.createExecution({ workflowId: 'no-such-workflow' }), code('invalid_input', /Workflow "no-such-workflow" does not exist/));
  assert.equal(queueRows(ts).length, 0);
  assert.equal(store.listWorkflows().total, 0);
  const a = store.createAgent({ name: 'A', type: 'llm' });
  store.deleteAgent(a.id);
  assert.throws(() => store.createWorkflow({ name: 'to deleted', agentId: a.id }), code('invalid_input'));
  const w = store.createWorkflow({ name: 'free' });
  assert.throws(() => store.updateWorkflow({ id: w.id, patch: { agentId: 'ghost' }, expectedVersion: 1 }), code('invalid_input'));
  assert.equal(store.getWorkflow(w.id).version, 1);
});

test('repeated writes of a pending record coalesce into one item: ops merged, priority max', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const a = store.createAgent({ name: 'A', type: 'llm' });
  for (let v = 1; v <= 5; v++) store.updateAgent({ id: a.id, patch: { name: `A${v}` }, expectedVersion: v });
  assert.deepEqual(queueRows(ts).map((r) => [r.operation, r.priority]), [['INSERT', 5]], 'INSERT + UPDATEs = INSERT');
  store.updateAgent({ id: a.id, patch: { status: 'critical' }, expectedVersion: 6 });
  assert.deepEqual(queueRows(ts).map((r) => [r.operation, r.priority]), [['INSERT', 10]], 'critical gives 10');
  store.updateAgent({ id: a.id, patch: { status: 'active' }, expectedVersion: 7 });
  assert.equal(queueRows(ts)[0]!.priority, 10, 'priority is the max of the coalesced changes');
  store.deleteAgent(a.id);
  assert.deepEqual(queueRows(ts).map((r) => r.operation), ['DELETE'], 'INSERT + DELETE = DELETE, still sent');
  const [change] = store.leaseBatch({ limit: 5, leaseMs: 1000 }).changes;
  assert.equal(change!.op, 'delete');
  assert.equal(change!.data, null);

  const b = store.createAgent({ name: 'B', type: 'llm' });
  store.leaseBatch({ limit: 5, leaseMs: 60_000 });
  store.updateAgent({ id: b.id, patch: { name: 'B2' }, expectedVersion: 1 });
  store.deleteAgent(b.id);
  const bRows = queueRows(ts).filter((r) => r.record_id === b.id);
  assert.deepEqual(bRows.map((r) => [r.operation, r.status]), [['INSERT', 'processing'], ['DELETE', 'pending']], 'UPDATE + DELETE = DELETE');
});

test('hostile column names and ids are refused and change nothing', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const a = store.createAgent({ name: 'A', type: 'llm' });
  const hostileKeys = ["name = 'x', status", 'version', 'sync_status', 'id', '__proto__', 'name; DROP TABLE agents; --', 'deleted'];
  for (const key of hostileKeys) {
    const patch = JSON.parse(JSON.stringify({ [key]: 'x' })) as Record<string, unknown>;
    assert.throws(() => store.updateAgent({ id: a.id, patch, expectedVersion: 1 }), code('invalid_input', /no editable field/), key);
  }
  const hostileIds = ["x' OR '1'='1", 'a; DROP TABLE agents', '../../etc/passwd', '', 'x'.repeat(200), 'with space', 'nul\u0000'];
  for (const id of hostileIds) {
    assert.throws(() => store.getAgent(id), code('invalid_input'), JSON.stringify(id));
    assert.throws(() => store.updateAgent({ id, patch: { name: 'x' }, expectedVersion: 1 }), code('invalid_input'));
    assert.throws(() => store.deleteAgent(id), code('invalid_input'));
    assert.throws(() => store.createAgent({ id, name: 'x', type: 'y' }), code('invalid_input'));
  }
  assert.throws(() => store.listWorkflows({ agentId: "x' --" }), code('invalid_input'));
  assert.equal(store.listAgents({ offset: -5, limit: Number.NaN }).limit, 100, 'odd paging falls back to sane values');
  assert.equal(store.listAgents({ limit: 1e9 }).limit, 1000);
  assert.throws(() => store.getShadow('agents; DROP TABLE agents' as never, 'x'), code('invalid_input', /Unknown table/));
  assert.throws(() => store.createAgent({ name: 'x', type: 'y', extra: 1 } as never), code('invalid_input'));
  const still = store.getAgent(a.id);
  assert.equal(still.version, 1);
  assert.equal(still.name, 'A');
  assert.equal(store.listAgents().total, 1);
  assert.equal(queueRows(ts).length, 1);
});

test('batch: many writes, one commit, one notification; a throw rolls all of it back', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  ts.changes.length = 0;
  store.batch(() => {
    for (let i = 0; i < 50; i++) store.createAgent({ id: `b${i}`, name: `b${i}`, type: 'llm' });
  });
  assert.equal(ts.changes.length, 1);
  assert.deepEqual(ts.changes[0]!.tables.sort(), ['agents', 'sync_queue']);
  assert.equal(ts.changes[0]!.ids.length, 50);
  assert.throws(() =>
    store.batch(() => {
      store.createAgent({ id: 'c1', name: 'c1', type: 'llm' });
      throw new Error('boom');
    }),
  );
  assert.throws(() => store.getAgent('c1'), code('not_found'));
  assert.equal(ts.changes.length, 1, 'no notification for a rolled back batch');
  assert.equal(store.stats().byStatus.pending, 50);
  // a refusal (checked before anything is written) caught inside a batch leaves the rest of the batch intact
  store.batch(() => {
    store.updateAgent({ id: 'b1', patch: { name: 'ok' }, expectedVersion: 1 });
    assert.throws(() => store.updateAgent({ id: 'b2', patch: { name: 'stale' }, expectedVersion: 9 }), code('version_conflict'));
    assert.throws(() => store.createWorkflow({ name: 'w', agentId: 'ghost' }), code('invalid_input'));
    store.updateAgent({ id: 'b3', patch: { name: 'ok too' }, expectedVersion: 1 });
  });
  assert.equal(store.getAgent('b1').name, 'ok');
  assert.equal(store.getAgent('b2').name, 'b2');
  assert.equal(store.getAgent('b3').version, 2);
  assert.equal(store.stats().byStatus.pending, 50);
});

test('workflows and executions: filters and parents', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const a = store.createAgent({ name: 'A', type: 'llm' });
  const w1 = store.createWorkflow({ name: 'W1', agentId: a.id, status: 'active' });
  const w2 = store.createWorkflow({ name: 'W2' });
  assert.equal(w2.agentId, null);
  assert.deepEqual(store.listWorkflows({ agentId: a.id }).items.map((w) => w.id), [w1.id]);
  assert.deepEqual(store.listWorkflows({ status: 'draft' }).items.map((w) => w.id), [w2.id]);
  const moved = store.updateWorkflow({ id: w2.id, patch: { agentId: a.id, definition: { steps: ['a'] } }, expectedVersion: 1 });
  assert.equal(moved.agentId, a.id);
  assert.deepEqual(moved.definition, { steps: ['a'] });
  const e = store.createExecution({ workflowId: w1.id, inputData: { x: 1 } });
  assert.equal(e.status, 'queued');
  assert.deepEqual(e.inputData, { x: 1 });
  assert.equal(e.outputData, null);
  assert.deepEqual(store.listExecutions({ workflowId: w1.id }).items.map((x) => x.id), [e.id]);
  assert.equal(store.listExecutions({ workflowId: w2.id }).total, 0);
});
