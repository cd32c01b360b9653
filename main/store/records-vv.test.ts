import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore, remoteAgent } from './test-support';

// Node ids are any [A-Za-z0-9_-] token: `__proto__` and `constructor` are valid and must count like any other.
// A plain `vv[id] = (vv[id] ?? 0) + 1` on a vector without the node's own entry read Object.prototype members:
// the write's entry was lost (`__proto__`) or became a string (`constructor`).
for (const nodeId of ['__proto__', 'constructor']) {
  test(`a node whose id is ${nodeId} bumps its own version-vector entry on every write`, (t) => {
    const ts = openTestStore({ nodeId });
    t.after(() => ts.cleanup());
    const { store } = ts;
    const own = (vv: object) => Object.getOwnPropertyDescriptor(vv, nodeId)?.value as unknown;

    // a record another node wrote: its vector has no entry for this node yet
    assert.equal(store.applyRemoteChanges([remoteAgent('r1', { 'node-b': 2 }, { name: 'from b' })]).applied, 1);
    const r = store.getAgent('r1');
    const edited = store.updateAgent({ id: 'r1', patch: { name: 'mine' }, expectedVersion: r.version });
    assert.equal(own(edited.vv), 1, `vv ${JSON.stringify(edited.vv)}`);
    assert.equal(edited.vv['node-b'], 2);
    assert.equal(Object.getPrototypeOf(edited.vv), Object.prototype, 'the prototype is untouched');

    const a = store.createAgent({ name: 'Scout', type: 'crawler' });
    assert.equal(own(a.vv), 1);
    const b = store.updateAgent({ id: a.id, patch: { name: 'Scout 2' }, expectedVersion: a.version });
    assert.equal(own(b.vv), 2, `vv ${JSON.stringify(b.vv)}`);
    assert.deepEqual(JSON.parse(JSON.stringify(store.getAgent('r1').vv)), JSON.parse(`{"node-b":2,"${nodeId}":1}`));
  });
}
