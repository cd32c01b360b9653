import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutpostError } from '../../shared/errors';
import { openTestStore, remoteAgent } from './test-support';

/** Three conflicts on three agents: one resolved automatically, one by a person, one left pending. */
function threeConflicts() {
  const ts = openTestStore();
  const { store } = ts;
  const ids: number[] = [];
  for (const id of ['auto', 'manual', 'open']) {
    store.createAgent({ id, name: 'local', type: 'llm' });
    const { changes } = store.leaseBatch({ limit: 10, leaseMs: 60_000 });
    store.ackChanges(changes.map((c) => ({ queueId: c.queueId, seq: 1 })));
    store.updateAgent({ id, patch: { name: 'mine' }, expectedVersion: 1 });
    ids.push(store.applyRemoteChanges([remoteAgent(id, { 'node-a': 1, 'node-b': 1 }, { name: 'theirs' })]).conflictIds[0]!);
  }
  const data = (id: string) => ({ name: 'merged', type: 'llm', status: 'inactive', config: {}, createdAt: store.getAgent(id).createdAt });
  store.resolveConflict(ids[0]!, { resolvedData: data('auto'), strategy: 'lww', resolvedBy: 'system', automatic: true });
  store.resolveConflict(ids[1]!, { resolvedData: data('manual'), strategy: 'manual:merge', resolvedBy: 'alice', automatic: false });
  return { ts, ids };
}

test('listConflicts filters automatic resolutions in SQL, with status, paging and totals', (t) => {
  const { ts, ids } = threeConflicts();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const list = (q: Parameters<typeof store.listConflicts>[0]) => store.listConflicts(q);
  assert.deepEqual(list({ automatic: true }).items.map((c) => c.id), [ids[0]]);
  assert.equal(list({ automatic: true }).total, 1);
  assert.deepEqual(list({ automatic: false }).items.map((c) => c.id).sort(), [ids[1], ids[2]].sort());
  assert.equal(list({ automatic: false, status: 'resolved' }).total, 1);
  assert.equal(list({ automatic: true, status: 'pending' }).total, 0);
  assert.equal(list({ automatic: false, limit: 1 }).items.length, 1);
  assert.equal(list({ automatic: false, limit: 1 }).total, 2);
  assert.throws(() => list({ automatic: 'yes' as never }), (e) => e instanceof OutpostError && e.code === 'invalid_input');
});
