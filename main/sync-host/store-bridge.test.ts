import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoreResults } from '../../shared/protocol/worker';
import { openTestStore } from '../store/test-support';
import { StoreBridge } from './store-bridge';

const quiet = { onQueueChanged: () => undefined, onConflicts: () => undefined };

test('store bridge: the worker gets the store\'s change id; its answers name it, and the store alone judges them', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  ts.store.createAgent({ id: 'a', name: 'a', type: 'llm' });
  ts.store.createAgent({ id: 'b', name: 'b', type: 'llm' });
  const bridge = new StoreBridge(ts.store, quiet);
  const { items } = bridge.handle({ op: 'lease', limit: 10, minPriority: 1 }) as StoreResults['lease'];
  const stored = ts.store.unsafeDatabase().prepare('SELECT id, change_id FROM sync_queue ORDER BY id').all() as Array<{ id: number; change_id: string }>;
  assert.deepEqual(items.map((i) => [i.queueId, i.changeId]), stored.map((r) => [r.id, r.change_id]), 'one id: the one the store keeps');
  const [a, b] = items;
  // a bridge holds no lease state: another one (a restarted host) is answered the same
  const other = new StoreBridge(ts.store, quiet);
  assert.deepEqual(other.handle({ op: 'ack', items: [{ queueId: a!.queueId, changeId: b!.changeId, seq: 1 }] }), { acked: 0 }, 'not the id it was leased under');
  assert.deepEqual(other.handle({ op: 'ack', items: [{ queueId: a!.queueId, changeId: a!.changeId, seq: 1 }] }), { acked: 1 });
  assert.deepEqual(other.handle({ op: 'release', items: [{ queueId: a!.queueId, changeId: a!.changeId }] }), { released: 0 }, 'acked already');
  assert.deepEqual(other.handle({ op: 'release', items: [{ queueId: b!.queueId, changeId: b!.changeId }] }), { released: 1 });
  assert.deepEqual(ts.store.stats().byStatus, { pending: 1, processing: 0, completed: 1, failed: 0 });
});
