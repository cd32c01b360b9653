import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHubPair, type HubPair, type TestNode } from './harness';

/* Executions through a real hub and two real workers: the lifecycle's stamps travel, and counts add up. */
let pair: HubPair;
let a: TestNode;
let b: TestNode;

before(async () => {
  pair = await startHubPair();
  ({ a, b } = pair);
});
after(() => pair?.destroy());

test('an execution started on one node is completed on the other; both show the same times and duration', async () => {
  a.store.createAgent({ id: 'ag-life', name: 'Runner', type: 'llm' });
  a.store.createWorkflow({ id: 'wf-life', name: 'Run', agentId: 'ag-life' });
  a.store.createExecution({ id: 'ex-life', workflowId: 'wf-life' });
  const running = a.store.updateExecution({ id: 'ex-life', patch: { status: 'running' }, expectedVersion: 1 });
  await a.host.syncNow();
  await b.host.syncNow();
  const onB = b.store.getExecution('ex-life');
  assert.deepEqual([onB.status, onB.startedAt], ['running', running.startedAt]);
  const done = b.store.updateExecution({ id: 'ex-life', patch: { status: 'completed', outputData: { rows: 3 } }, expectedVersion: onB.version });
  assert.equal(done.durationMs, Date.parse(done.completedAt!) - Date.parse(running.startedAt!), 'the duration runs from the start stamped on a');
  await b.host.syncNow();
  await a.host.syncNow();
  const onA = a.store.getExecution('ex-life');
  assert.deepEqual(
    [onA.status, onA.startedAt, onA.completedAt, onA.durationMs, onA.outputData],
    ['completed', running.startedAt, done.completedAt, done.durationMs, { rows: 3 }],
  );
  assert.throws(() => a.store.updateExecution({ id: 'ex-life', patch: { status: 'running' }, expectedVersion: onA.version }), /final/);
});

test('executions recorded on two nodes at once: both nodes count all of them', async () => {
  a.store.createAgent({ id: 'ag-count', name: 'Counter', type: 'llm' });
  a.store.createWorkflow({ id: 'wf-count', name: 'Count', agentId: 'ag-count' });
  await a.host.syncNow();
  await b.host.syncNow();
  // neither node sees the other's executions until both have synced: a counter merged last-writer-wins would end at 3 or 2
  for (let i = 0; i < 3; i++) a.store.createExecution({ id: `ex-a-${i}`, workflowId: 'wf-count' });
  for (let i = 0; i < 2; i++) b.store.createExecution({ id: `ex-b-${i}`, workflowId: 'wf-count', status: 'running' });
  assert.equal(a.store.getWorkflow('wf-count').executionCount, 3);
  assert.equal(b.store.getWorkflow('wf-count').executionCount, 2);
  await a.host.syncNow();
  await b.host.syncNow();
  await a.host.syncNow();
  const [onA, onB] = [a.store.getWorkflow('wf-count'), b.store.getWorkflow('wf-count')];
  assert.equal(onA.executionCount, 5);
  assert.equal(onB.executionCount, 5);
  assert.equal(onA.lastExecution, onB.lastExecution, 'the same latest execution on both nodes');
  const latest = [...a.store.listExecutions({ workflowId: 'wf-count' }).items].map((e) => e.startedAt ?? e.createdAt).sort().at(-1);
  assert.equal(onA.lastExecution, latest);
  assert.equal(onA.syncStatus, 'synced', 'the workflow itself was not rewritten to keep the count');
});
