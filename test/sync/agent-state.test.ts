import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../lib/log';
import { AutoResolver } from '../../main/conflicts/auto-resolver';
import { startHubPair, type HubPair, type TestNode } from './harness';

/* Agent state, a table added by its declaration and one migration, through a real hub and two real workers. */
let pair: HubPair;
let a: TestNode;
let b: TestNode;

before(async () => {
  pair = await startHubPair();
  ({ a, b } = pair);
});
after(() => pair?.destroy());

test('agent state syncs with its agent; concurrent sets of one key meet as one record and resolve on both nodes', async () => {
  a.store.createAgent({ id: 'agent-s', name: 'Scout', type: 'llm' });
  a.store.agentStates.set({ agentId: 'agent-s', key: 'session', value: { page: 1 } });
  assert.equal((await a.host.syncNow()).pushed, 2, 'the agent and its state');
  assert.equal((await b.host.syncNow()).pulled, 2);
  assert.deepEqual(b.store.agentStates.get({ agentId: 'agent-s', key: 'session' }).value, { page: 1 });

  a.store.agentStates.set({ agentId: 'agent-s', key: 'session', value: { page: 2, by: 'a' } });
  b.store.agentStates.set({ agentId: 'agent-s', key: 'session', value: { page: 5, by: 'b' } });
  await a.host.syncNow();
  assert.ok((await b.host.syncNow()).conflicts >= 1, "b's push meets a's write of the same key");
  const pending = b.store.listConflicts({ status: 'pending' });
  assert.equal(pending.total, 1, 'one conflict, on one record');
  const [conflict] = pending.items;
  assert.equal(conflict!.table, 'agent_states');
  const resolver = new AutoResolver({ store: b.store, settings: () => b.ctx.settings.get(), log: createLogger({ quiet: true }) });
  assert.equal(resolver.resolveAll([conflict!.id]).resolved, 1, 'the table default (lww) decides it');
  await b.host.syncNow();
  await a.host.syncNow();
  const onA = a.store.agentStates.get({ agentId: 'agent-s', key: 'session' });
  const onBNow = b.store.agentStates.get({ agentId: 'agent-s', key: 'session' });
  assert.deepEqual(onA.value, onBNow.value, 'both nodes hold the same value');
  assert.deepEqual(onA.value, { page: 5, by: 'b' }, "the later write (b's) wins under lww");
  assert.equal(a.store.records('agent_states').list({ agentId: 'agent-s' }).total, 1, 'one entry, not two');
  assert.deepEqual(b.store.getConflict(conflict!.id).status, 'resolved');
});
