import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutpostError } from '../../shared/errors';
import { openTestStore } from './test-support';
import { agentStateId } from './agent-state';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    if (error instanceof OutpostError) return error.code;
    throw error;
  }
  return 'no error';
};

test('agent state: set creates, set again updates, get and list by agent, delete, set after delete revives', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const agent = store.createAgent({ id: 'ag-1', name: 'scout', type: 'llm' });
  store.createAgent({ id: 'ag-2', name: 'other', type: 'llm' });
  const first = store.agentStates.set({ agentId: agent.id, key: 'session', value: { step: 1, notes: ['a'] } });
  assert.equal(first.id, agentStateId('ag-1', 'session'));
  assert.deepEqual([first.agentId, first.key, first.value, first.version, first.syncStatus], ['ag-1', 'session', { step: 1, notes: ['a'] }, 1, 'pending']);
  const second = store.agentStates.set({ agentId: agent.id, key: 'session', value: 2 });
  assert.deepEqual([second.value, second.version], [2, 2], 'any JSON value, and the same record');
  store.agentStates.set({ agentId: 'ag-1', key: ' session', value: 'a different key: keys are exact' });
  store.agentStates.set({ agentId: 'ag-2', key: 'session', value: null });
  assert.deepEqual(store.agentStates.get({ agentId: 'ag-1', key: 'session' }).value, 2);
  const listed = store.records('agent_states').list({ agentId: 'ag-1' });
  assert.deepEqual(listed.items.map((s) => s.key).sort(), [' session', 'session']);
  assert.equal(store.stats().records.agent_states, 3);

  assert.deepEqual(store.agentStates.delete({ agentId: 'ag-1', key: 'session' }), { id: first.id, deleted: true });
  assert.equal(code(() => store.agentStates.get({ agentId: 'ag-1', key: 'session' })), 'not_found');
  const revived = store.agentStates.set({ agentId: 'ag-1', key: 'session', value: { back: true } });
  assert.deepEqual([revived.id, revived.value, revived.version], [first.id, { back: true }, 4], 'the tombstone comes back at its next version');
  assert.equal(revived.vv['node-a'], 4, 'the revival descends from the delete');
  const item = store.listQueue({ status: 'pending' }).items.find((i) => i.recordId === first.id);
  assert.ok(item, 'the revival is queued');
});

test('agent state: expectedVersion, a missing agent, a huge value and a blank key are refused and change nothing', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  store.createAgent({ id: 'ag-1', name: 'scout', type: 'llm' });
  store.agentStates.set({ agentId: 'ag-1', key: 'k', value: 1 });
  assert.equal(code(() => store.agentStates.set({ agentId: 'ag-1', key: 'k', value: 2, expectedVersion: 5 })), 'version_conflict');
  assert.equal(store.agentStates.set({ agentId: 'ag-1', key: 'k', value: 3, expectedVersion: 1 }).version, 2);
  assert.equal(code(() => store.agentStates.set({ agentId: 'ag-1', key: 'new', value: 1, expectedVersion: 1 })), 'not_found');
  assert.equal(code(() => store.agentStates.set({ agentId: 'ghost', key: 'k', value: 1 })), 'invalid_input', 'the agent must exist');
  assert.equal(code(() => store.agentStates.set({ agentId: 'ag-1', key: 'big', value: 'x'.repeat(300_000) })), 'invalid_input');
  assert.equal(code(() => store.agentStates.set({ agentId: 'ag-1', key: '   ', value: 1 })), 'invalid_input');
  assert.equal(code(() => store.agentStates.set({ agentId: "x' OR 1=1 --", key: 'k', value: 1 })), 'invalid_input');
  assert.deepEqual(
    store.records('agent_states').list({ agentId: 'ag-1' }).items.map((s) => [s.key, s.value, s.version]),
    [['k', 3, 2]],
  );
});

test('agent state: two stores name one key alike, so their concurrent sets meet as one record', (t) => {
  const a = openTestStore({ nodeId: 'node-a' });
  const b = openTestStore({ nodeId: 'node-b' });
  t.after(() => {
    a.cleanup();
    b.cleanup();
  });
  for (const { store } of [a, b]) store.createAgent({ id: 'ag-1', name: 'scout', type: 'llm' });
  const onA = a.store.agentStates.set({ agentId: 'ag-1', key: 'plan', value: 'from a' });
  const onB = b.store.agentStates.set({ agentId: 'ag-1', key: 'plan', value: 'from b' });
  assert.equal(onA.id, onB.id);
  const { changes } = a.store.leaseBatch({ limit: 100, leaseMs: 60_000 });
  const state = changes.find((c) => c.table === 'agent_states')!;
  const applied = b.store.applyRemoteChanges([{ table: 'agent_states', recordId: state.recordId, op: 'upsert', data: state.data, vv: state.vv, hlc: state.hlc, nodeId: state.nodeId, seq: 1 }]);
  assert.equal(applied.conflicts, 1, 'concurrent sets of one key are a conflict on that record, not two records');
});
