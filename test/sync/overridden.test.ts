import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AutoResolver } from '../../main/conflicts/auto-resolver';
import { waitFor } from './support';
import { startHubPair, type HubPair, type TestNode } from './harness';

// An automatic resolution on one node that replaced another node's edit travels with the resolved write, through
// the real worker and hub, and is kept on the node whose edit lost.
let pair: HubPair;
let a: TestNode;
let b: TestNode;

before(async () => {
  // node-b decides every conflict itself, even a leaf both sides changed
  pair = await startHubPair({ b: { settings: { conflicts: { threshold: 0 } } } });
  ({ a, b } = pair);
});
after(() => pair?.destroy());

test('node-b resolves automatically against node-a’s synced edit: node-a sees which edit was replaced, by which node, and can undo it', async () => {
  a.store.createAgent({ id: 'shared', name: 'v0', type: 'llm', config: { model: 'm', temp: 1 } });
  await a.host.syncNow();
  await b.host.syncNow();
  a.store.updateAgent({ id: 'shared', patch: { name: 'from A', config: { model: 'm', temp: 2 } }, expectedVersion: a.store.getAgent('shared').version });
  await new Promise((r) => setTimeout(r, 5)); // node-b's write is the later one: it wins the leaf both changed
  b.store.updateAgent({ id: 'shared', patch: { name: 'from B' }, expectedVersion: b.store.getAgent('shared').version });
  assert.equal((await a.host.syncNow()).pushed, 1);

  const resolver = new AutoResolver({ store: b.store, settings: () => b.ctx.settings.get(), log: b.ctx.log });
  const off = b.host.onConflictsRecorded((ids) => void resolver.onConflictsRecorded(ids));
  await b.host.syncNow();
  off();
  await waitFor(() => b.store.listConflicts({ status: 'resolved' }).total === 1, 5_000, 'node-b resolved it');
  const onB = b.store.getAgent('shared');
  assert.deepEqual([onB.name, onB.config], ['from B', { model: 'm', temp: 2 }], 'field by field: node-a’s config edit kept, the name decided by clock');
  assert.equal((await b.host.syncNow()).pushed, 1);

  await a.host.syncNow();
  const onA = a.store.getAgent('shared');
  assert.deepEqual([onA.name, onA.config], ['from B', { model: 'm', temp: 2 }]);
  const lost = a.store.listConflicts({ lost: true });
  assert.equal(lost.total, 1, 'node-a keeps the story');
  const [c] = lost.items;
  assert.deepEqual([c!.recordId, c!.lostFields, c!.resolvedOn, c!.automatic, c!.status], ['shared', ['name'], 'node-b', true, 'resolved']);
  assert.ok(c!.confidence !== null && c!.confidence < 1, 'a leaf both changed was not decided with certainty');
  assert.equal(b.store.listConflicts({ lost: true }).total, 0, 'node-b lost nothing');

  // node-a takes its edit back: the hub and node-b get it, and node-b is told its resolution was replaced
  const undone = a.store.undoResolution(c!.id);
  a.store.resolveConflict(c!.id, { resolvedData: undone.local, strategy: 'local', resolvedBy: 'me', automatic: false });
  assert.equal((await a.host.syncNow()).pushed, 1);
  await b.host.syncNow();
  assert.equal(b.store.getAgent('shared').name, 'from A');
  const told = b.store.listConflicts({ lost: true, recordId: 'shared' });
  assert.deepEqual([told.total, told.items[0]?.lostFields, told.items[0]?.resolvedOn, told.items[0]?.automatic], [1, ['name'], 'node-a', false]);
});
