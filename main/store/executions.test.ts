import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { openTestStore } from './test-support';
import { migrations } from './migrations/index';
import { OutpostError } from '../../shared/errors';
import { executionLifecycle, executionStatuses } from '../../shared/tables/executions';
import { movesFrom } from '../../shared/tables/lifecycle';

const invalid = (pattern: RegExp) => (error: unknown) => error instanceof OutpostError && error.code === 'invalid_input' && pattern.test(error.message);

function withWorkflow() {
  const ts = openTestStore();
  ts.store.createAgent({ id: 'ag', name: 'ag', type: 'llm' });
  ts.store.createWorkflow({ id: 'wf', name: 'wf', agentId: 'ag' });
  return ts;
}

test('an execution moves queued -> running -> completed, and the store stamps its times and duration', (t) => {
  const ts = withWorkflow();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const queued = store.createExecution({ id: 'ex', workflowId: 'wf' });
  assert.deepEqual([queued.status, queued.startedAt, queued.completedAt, queued.durationMs], ['queued', null, null, null]);
  const running = store.updateExecution({ id: 'ex', patch: { status: 'running' }, expectedVersion: 1 });
  assert.equal(running.status, 'running');
  assert.equal(running.startedAt, running.updatedAt, 'startedAt is the time of the move');
  assert.equal(running.completedAt, null);
  // progress without a move stamps nothing
  const progress = store.updateExecution({ id: 'ex', patch: { outputData: { step: 1 } }, expectedVersion: 2 });
  assert.equal(progress.startedAt, running.startedAt);
  const done = store.updateExecution({ id: 'ex', patch: { status: 'completed', outputData: { ok: true } }, expectedVersion: 3 });
  assert.equal(done.completedAt, done.updatedAt);
  assert.equal(done.durationMs, Date.parse(done.completedAt!) - Date.parse(running.startedAt!));
  assert.equal(done.startedAt, running.startedAt);
  assert.deepEqual(done.outputData, { ok: true });
  assert.deepEqual(store.getExecution('ex'), done, 'what the update returned is what is stored');
  // the stamps travel with the state (they are fields), so every node shows the same times
  const leased = store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes.find((c) => c.recordId === 'ex')!;
  assert.deepEqual([leased.data!.startedAt, leased.data!.completedAt, leased.data!.durationMs], [done.startedAt, done.completedAt, done.durationMs]);
});

test('every move outside the lifecycle is refused with invalid_input, and changes nothing', (t) => {
  const ts = withWorkflow();
  t.after(() => ts.cleanup());
  const { store } = ts;
  // walk every (from, to) pair: allowed ones pass, every other is refused
  for (const from of executionStatuses) {
    for (const to of executionStatuses) {
      if (from === to) continue;
      const id = `ex-${from}-${to}`;
      store.createExecution({ id, workflowId: 'wf' });
      let version = 1;
      const path: Record<string, string[]> = { queued: [], running: ['running'], completed: ['running', 'completed'], failed: ['running', 'failed'], cancelled: ['cancelled'] };
      for (const step of path[from]!) version = store.updateExecution({ id, patch: { status: step as never }, expectedVersion: version }).version;
      const before = store.getExecution(id);
      const allowed = movesFrom(executionLifecycle, from).includes(to);
      if (allowed) {
        assert.equal(store.updateExecution({ id, patch: { status: to }, expectedVersion: version }).status, to, `${from} -> ${to}`);
      } else {
        assert.throws(() => store.updateExecution({ id, patch: { status: to, outputData: { x: 1 } }, expectedVersion: version }), invalid(/cannot|final/), `${from} -> ${to}`);
        assert.deepEqual(store.getExecution(id), before, `${from} -> ${to} changed nothing`);
      }
    }
  }
  assert.throws(() => store.createExecution({ id: 'born-done', workflowId: 'wf', status: 'completed' }), invalid(/starts as queued or running/));
  assert.throws(() => store.updateExecution({ id: 'ex-queued-running', patch: { startedAt: new Date().toISOString() } as never, expectedVersion: 2 }), invalid(/no editable field "startedAt"/));
  // a move is checked against the version the caller read
  assert.throws(() => store.updateExecution({ id: 'ex-queued-running', patch: { status: 'completed' }, expectedVersion: 1 }), (e: unknown) => e instanceof OutpostError && e.code === 'version_conflict');
});

test('a create may start running; a queued execution cancelled before it ran has no duration', (t) => {
  const ts = withWorkflow();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const started = store.createExecution({ id: 'run', workflowId: 'wf', status: 'running' });
  assert.equal(started.startedAt, started.createdAt);
  const failed = store.updateExecution({ id: 'run', patch: { status: 'failed', errorMessage: 'boom' }, expectedVersion: 1 });
  assert.equal(typeof failed.durationMs, 'number');
  assert.equal(failed.errorMessage, 'boom');
  store.createExecution({ id: 'never', workflowId: 'wf' });
  const cancelled = store.updateExecution({ id: 'never', patch: { status: 'cancelled' }, expectedVersion: 1 });
  assert.deepEqual([cancelled.startedAt, cancelled.durationMs, typeof cancelled.completedAt], [null, null, 'string']);
});

test("a workflow's executionCount and lastExecution are counted from its live executions, never patched", (t) => {
  const ts = withWorkflow();
  t.after(() => ts.cleanup());
  const { store } = ts;
  store.createWorkflow({ id: 'other', name: 'other', agentId: 'ag' });
  assert.deepEqual([store.getWorkflow('wf').executionCount, store.getWorkflow('wf').lastExecution], [0, null]);
  const first = store.createExecution({ id: 'e1', workflowId: 'wf' });
  store.createExecution({ id: 'e2', workflowId: 'wf' });
  store.createExecution({ id: 'o1', workflowId: 'other' });
  const running = store.updateExecution({ id: 'e1', patch: { status: 'running' }, expectedVersion: 1 });
  const wf = store.getWorkflow('wf');
  assert.equal(wf.executionCount, 2);
  assert.equal(wf.lastExecution, [running.startedAt!, store.getExecution('e2').createdAt].sort().at(-1));
  assert.ok(wf.lastExecution! >= first.createdAt);
  assert.deepEqual(store.listWorkflows({}).items.map((w) => [w.id, w.executionCount]).sort(), [['other', 1], ['wf', 2]]);
  store.records('executions').delete('e2');
  assert.equal(store.getWorkflow('wf').executionCount, 1, 'a deleted execution is not counted');
  const updated = store.updateWorkflow({ id: 'wf', patch: { name: 'renamed' }, expectedVersion: 1 });
  assert.equal(updated.executionCount, 1, 'a write returns the derived fields too');
  assert.throws(() => store.updateWorkflow({ id: 'wf', patch: { executionCount: 9 } as never, expectedVersion: 2 }), invalid(/no editable field "executionCount"/));
});

test('migration 5: a version-4 file loses the stored counters, in its rows and its stored states, and keeps its queue', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  for (const step of migrations.slice(0, 4)) db.exec(step);
  const state = (extra: object) => JSON.stringify({ name: 'wf', definition: {}, status: 'draft', agentId: null, createdAt: '2026-01-01T00:00:00.000Z', ...extra });
  const counted = state({ executionCount: 3, lastExecution: '2026-01-02T00:00:00.000Z' });
  db.prepare(`INSERT INTO workflows (id, name, hlc, node_id, execution_count) VALUES ('wf', 'wf', 'h', 'n', 3)`).run();
  db.prepare(`INSERT INTO sync_shadow (table_name, record_id, data, vv, hlc) VALUES ('workflows', 'wf', ?, '{}', 'h')`).run(counted);
  db.prepare(`INSERT INTO sync_queue (table_name, record_id, operation, status, data, change_id) VALUES ('workflows', 'wf', 'UPDATE', 'processing', ?, 'c1')`).run(counted);
  db.prepare(`INSERT INTO sync_queue (table_name, record_id, operation, status, data) VALUES ('agents', 'a', 'UPDATE', 'pending', '{"executionCount":1}')`).run();
  db.prepare(
    `INSERT INTO conflict_resolution (table_name, record_id, type, local_data, remote_data, local_vv, remote_vv, remote_hlc, remote_node_id)
     VALUES ('workflows', 'wf', 'update-update', ?, ?, '{}', '{"b":1}', 'h', 'b')`,
  ).run(counted, counted);
  const step = migrations.findIndex((m) => m.includes('DROP COLUMN execution_count'));
  assert.ok(step >= 4, 'the step that derives the counts exists');
  for (const m of migrations.slice(4, step + 1)) db.exec(m);
  const columns = (db.prepare(`PRAGMA table_info(workflows)`).all() as Array<{ name: string }>).map((c) => c.name);
  assert.ok(!columns.includes('execution_count') && !columns.includes('last_execution'));
  const stripped = JSON.parse(state({}));
  assert.deepEqual(JSON.parse((db.prepare(`SELECT data FROM sync_shadow`).get() as { data: string }).data), stripped);
  const queue = db.prepare(`SELECT table_name, status, change_id, data FROM sync_queue ORDER BY id`).all() as Array<{ data: string }>;
  assert.deepEqual(queue.map((q) => JSON.parse(q.data)), [stripped, { executionCount: 1 }], "only workflows' states lose the fields");
  assert.deepEqual(queue.map((q) => [(q as never as { status: string }).status, (q as never as { change_id: string }).change_id]), [['processing', 'c1'], ['pending', null]]);
  const conflict = db.prepare(`SELECT local_data, remote_data FROM conflict_resolution`).get() as { local_data: string; remote_data: string };
  assert.deepEqual([JSON.parse(conflict.local_data), JSON.parse(conflict.remote_data)], [stripped, stripped]);
  db.close();
});
