import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dispatch, type Envelope } from '../../shared/api/dispatch';
import type { Handlers } from '../../shared/api/index';
import { openTestStore } from '../store/test-support';
import { recordHandlers } from './records';

const ctx = { transport: 'internal' as const };

/** The slice behind the real contract validation, as both transports run it. */
function api() {
  const ts = openTestStore();
  const handlers = recordHandlers({ store: ts.store }) as unknown as Handlers;
  const call = (method: string, input: unknown) => dispatch(handlers, method, input, ctx);
  return { ts, call };
}
const value = (e: Envelope) => {
  assert.ok(e.ok, JSON.stringify(e));
  return (e as { value: unknown }).value as Record<string, unknown> & { items: Array<Record<string, unknown>>; total: number };
};
const errorCode = (e: Envelope) => (e.ok ? null : e.error.code);

test('records API: create, list, update with expectedVersion, delete, queue stats and list', async (t) => {
  const { ts, call } = api();
  t.after(() => ts.cleanup());
  const created = value(await call('agents.create', { name: 'Planner', type: 'llm', config: { model: 'x' } }));
  assert.equal(created.version, 1);
  assert.equal(created.status, 'inactive');
  const listed = value(await call('agents.list', { search: 'plan' }));
  assert.equal(listed.total, 1);
  const updated = value(await call('agents.update', { id: created.id, patch: { status: 'critical' }, expectedVersion: 1 }));
  assert.equal(updated.version, 2);
  const stale = await call('agents.update', { id: created.id, patch: { name: 'late' }, expectedVersion: 1 });
  assert.equal(errorCode(stale), 'version_conflict');
  assert.match((stale as { error: { message: string } }).error.message, /reload it/);
  const stats = value(await call('queue.stats', {}));
  assert.deepEqual(stats.byStatus, { pending: 1, processing: 0, completed: 0, failed: 0 });
  assert.deepEqual(stats.byPriority, [{ priority: 10, count: 1 }]);
  const q = value(await call('queue.list', { status: 'pending' }));
  assert.equal(q.items[0]!.operation, 'INSERT');
  const wf = value(await call('workflows.create', { name: 'Flow', agentId: created.id }));
  value(await call('workflows.update', { id: wf.id, patch: { status: 'active' }, expectedVersion: 1 }));
  assert.equal(value(await call('workflows.list', { agentId: created.id })).total, 1);
  value(await call('executions.create', { workflowId: wf.id, inputData: { q: 1 } }));
  assert.equal(value(await call('executions.list', { workflowId: wf.id })).total, 1);
  assert.deepEqual(value(await call('agents.delete', { id: created.id })), { id: created.id, deleted: true });
  assert.equal(errorCode(await call('agents.get', { id: created.id })), 'not_found');
});

test('records API: invalid input is refused with invalid_input before the store is touched', async (t) => {
  const { ts, call } = api();
  t.after(() => ts.cleanup());
  assert.equal(errorCode(await call('agents.create', { name: '', type: 'llm' })), 'invalid_input');
  assert.equal(errorCode(await call('agents.update', { id: 'x', patch: { "name = 'x'": 1 }, expectedVersion: 1 })), 'invalid_input');
  assert.equal(errorCode(await call('agents.get', { id: "x' OR 1=1 --" })), 'invalid_input');
  assert.equal(errorCode(await call('workflows.create', { name: 'w', agentId: 'ghost' })), 'invalid_input');
  assert.equal(errorCode(await call('executions.create', { workflowId: 'ghost' })), 'invalid_input');
  assert.equal(errorCode(await call('queue.retry', { ids: [-1] })), 'invalid_input');
  assert.equal(ts.store.stats().byStatus.pending, 0);
});

test('records API: queue.retry puts failed items back', async (t) => {
  const { ts, call } = api();
  t.after(() => ts.cleanup());
  value(await call('agents.create', { name: 'A', type: 'llm' }));
  const [c] = ts.store.leaseBatch({ limit: 1, leaseMs: 60_000 }).changes;
  ts.store.failChanges([{ queueId: c!.queueId, error: 'HTTP 400', retryAt: null, permanent: true }]);
  const failed = value(await call('queue.list', { status: 'failed' }));
  assert.equal(failed.items[0]!.errorMessage, 'HTTP 400');
  assert.deepEqual(value(await call('queue.retry', {})), { retried: 1 });
  assert.equal((value(await call('queue.stats', {})).byStatus as Record<string, number>).pending, 1);
});

test('every synced table has list, get, create, update and delete, with the same inputs and error codes', async (t) => {
  const { ts, call } = api();
  t.after(() => ts.cleanup());
  const agent = value(await call('agents.create', { name: 'A', type: 'llm' }));
  const wf = value(await call('workflows.create', { name: 'Flow', agentId: agent.id }));
  assert.equal(value(await call('workflows.get', { id: wf.id })).name, 'Flow');
  const run = value(await call('executions.create', { workflowId: wf.id, status: 'running' }));
  const done = value(await call('executions.update', { id: run.id, expectedVersion: 1, patch: { status: 'completed', outputData: { ok: true } } }));
  assert.deepEqual([done.status, done.outputData, done.version], ['completed', { ok: true }, 2]);
  assert.ok(typeof done.durationMs === 'number' && done.durationMs >= 0, 'the store stamps the duration');
  assert.equal(value(await call('executions.get', { id: run.id })).status, 'completed');
  assert.equal(errorCode(await call('executions.update', { id: run.id, expectedVersion: 1, patch: { status: 'failed' } })), 'version_conflict');
  assert.equal(errorCode(await call('executions.update', { id: run.id, expectedVersion: 2, patch: { workflowId: 'x' } })), 'invalid_input', 'not patchable');
  assert.equal(errorCode(await call('executions.update', { id: run.id, expectedVersion: 2, patch: { startedAt: 'yesterday' } })), 'invalid_input');
  assert.equal(errorCode(await call('executions.update', { id: run.id, expectedVersion: 2, patch: { durationMs: 12 } })), 'invalid_input', 'stamped, not patchable');
  assert.deepEqual(value(await call('executions.delete', { id: run.id })), { id: run.id, deleted: true });
  assert.equal(errorCode(await call('executions.get', { id: run.id })), 'not_found');
  assert.deepEqual(value(await call('workflows.delete', { id: wf.id, expectedVersion: 1 })), { id: wf.id, deleted: true });
  assert.equal(errorCode(await call('workflows.get', { id: wf.id })), 'not_found');
  const state = value(await call('agent_states.create', { agentId: agent.id, key: 'k', value: [1, 2] }));
  assert.deepEqual(value(await call('agent_states.get', { id: state.id })).value, [1, 2]);
});

test('agentState API: set, get, list and delete by agent and key; bad input refused', async (t) => {
  const { ts, call } = api();
  t.after(() => ts.cleanup());
  const agent = value(await call('agents.create', { name: 'A', type: 'llm' }));
  const set = value(await call('agentState.set', { agentId: agent.id, key: 'cursor', value: { page: 3 } }));
  assert.deepEqual([set.key, set.value, set.version], ['cursor', { page: 3 }, 1]);
  assert.equal(value(await call('agentState.set', { agentId: agent.id, key: 'cursor', value: 4, expectedVersion: 1 })).version, 2);
  assert.equal(errorCode(await call('agentState.set', { agentId: agent.id, key: 'cursor', value: 5, expectedVersion: 1 })), 'version_conflict');
  assert.deepEqual(value(await call('agentState.get', { agentId: agent.id, key: 'cursor' })).value, 4);
  assert.equal(value(await call('agentState.list', { agentId: agent.id })).total, 1);
  assert.equal(errorCode(await call('agentState.get', { agentId: agent.id, key: 'nope' })), 'not_found');
  assert.equal(errorCode(await call('agentState.set', { agentId: agent.id, key: '', value: 1 })), 'invalid_input');
  assert.equal(errorCode(await call('agentState.set', { agentId: agent.id, key: 'big', value: 'x'.repeat(300_000) })), 'invalid_input');
  assert.equal(errorCode(await call('agentState.set', { agentId: agent.id, key: 'k' })), 'invalid_input', 'a value is required');
  assert.equal(errorCode(await call('agentState.set', { agentId: agent.id, key: 'k', value: 1, extra: 1 })), 'invalid_input');
  assert.deepEqual(value(await call('agentState.delete', { agentId: agent.id, key: 'cursor' })), { id: set.id, deleted: true });
  assert.equal(value(await call('agentState.list', { agentId: agent.id })).total, 0);
});
