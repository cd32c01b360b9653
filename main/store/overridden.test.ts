import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutpostError } from '../../shared/errors';
import type { OverriddenWrite } from '../../shared/sync/wire';
import { openTestStore, remoteAgent } from './test-support';

type TS = ReturnType<typeof openTestStore>;
const code = (c: string) => (e: unknown) => e instanceof OutpostError && e.code === c;

/** A local agent written here and acknowledged by the hub: its row holds this node's write at `hlc`. */
function ackedLocalWrite(ts: TS, id: string, patch: { name: string; config?: Record<string, unknown> }) {
  ts.store.createAgent({ id, name: 'v0', type: 'llm', config: { model: 'm', temp: 1 } });
  let { changes } = ts.store.leaseBatch({ limit: 100, leaseMs: 60_000 });
  ts.store.ackChanges(changes.map((c) => ({ queueId: c.queueId, seq: 1 })));
  ts.store.updateAgent({ id, patch, expectedVersion: ts.store.getAgent(id).version });
  ({ changes } = ts.store.leaseBatch({ limit: 100, leaseMs: 60_000 }));
  ts.store.ackChanges(changes.map((c) => ({ queueId: c.queueId, seq: 2 })));
  return ts.store.getAgent(id);
}

const note = (over: Partial<OverriddenWrite> & { hlc: string }): OverriddenWrite => ({
  nodeId: 'node-a',
  fields: ['name'],
  strategy: 'field-merge',
  automatic: true,
  confidence: 0.5,
  ...over,
});

test('the resolving node: a resolution that replaced the other node’s edit sends a note naming that write and its lost paths', (t) => {
  const ts = openTestStore({ nodeId: 'node-b' });
  t.after(() => ts.cleanup());
  const { store } = ts;
  store.createAgent({ id: 'a', name: 'v0', type: 'llm', config: { model: 'm', temp: 1 } });
  const first = store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes;
  store.ackChanges(first.map((c) => ({ queueId: c.queueId, seq: 1 })));
  const base = store.getAgent('a');
  store.updateAgent({ id: 'a', patch: { name: 'from B' }, expectedVersion: base.version });
  // node-a changed the name and config.temp concurrently
  const theirs = remoteAgent('a', { 'node-b': 1, 'node-a': 1 }, { name: 'from A', type: 'llm', status: base.status, config: { model: 'm', temp: 2 } }, { nodeId: 'node-a' });
  theirs.data!.createdAt = base.createdAt;
  const [id] = store.applyRemoteChanges([theirs]).conflictIds;
  store.resolveConflict(id!, {
    resolvedData: { name: 'from B', type: 'llm', status: base.status, config: { model: 'm', temp: 2 }, createdAt: base.createdAt },
    strategy: 'field-merge',
    resolvedBy: 'system',
    confidence: 0.5,
    automatic: true,
  });
  assert.equal(store.getConflict(id!).lostFields, null, 'nothing this node changed was replaced');
  const [change] = store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes;
  assert.deepEqual(change!.overrode, [{ nodeId: 'node-a', hlc: theirs.hlc, fields: ['name'], strategy: 'field-merge', automatic: true, confidence: 0.5 }]);
  store.releaseLeases();

  // undone: the note goes with it; resolved keeping everything of node-a's: nobody to tell
  store.undoResolution(id!);
  store.resolveConflict(id!, { resolvedData: theirs.data, strategy: 'remote', resolvedBy: 'me', automatic: false });
  assert.deepEqual(store.getConflict(id!).lostFields, ['name'], 'this node’s own edit of name was replaced, and says so');
  for (const c of store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes) assert.equal(c.overrode, undefined);
});

test('the overridden node: the arriving resolution is kept as a resolved conflict naming the lost paths and the node; undo brings the edit back', (t) => {
  const ts = openTestStore({ nodeId: 'node-a' });
  t.after(() => ts.cleanup());
  const { store } = ts;
  const mine = ackedLocalWrite(ts, 'a', { name: 'from A', config: { model: 'm', temp: 2 } });
  const resolved = remoteAgent('a', { 'node-a': 2, 'node-b': 3 }, { name: 'from B', status: mine.status, config: { model: 'm', temp: 2 } });
  resolved.data!.createdAt = mine.createdAt;
  // the note claims config.temp too, which the resolution kept as node-a wrote it: only name is named
  const arriving = { ...resolved, overrode: [note({ hlc: mine.hlc, fields: ['name', 'config.temp'] })] };
  assert.equal(store.applyRemoteChanges([arriving]).conflicts, 0, 'a fast-forward, not a new conflict');
  assert.equal(store.getAgent('a').name, 'from B');
  const lost = store.listConflicts({ lost: true });
  assert.equal(lost.total, 1);
  const [c] = lost.items;
  assert.deepEqual([c!.status, c!.recordId, c!.lostFields, c!.resolvedOn, c!.automatic, c!.strategy], ['resolved', 'a', ['name'], 'node-b', true, 'field-merge']);
  assert.equal(store.listConflicts({ recordId: 'a' }).total, 1, 'in the record’s history');
  const told = store.getConflict(c!.id);
  assert.equal(told.local!.name, 'from A');
  assert.equal(told.remote!.name, 'from B');
  assert.equal(Object.hasOwn(told.base!, 'name'), false, 'the base leaves the replaced path out: both sides changed it');
  assert.deepEqual(told.base!.config, { model: 'm', temp: 2 }, 'and is this node’s state elsewhere');
  assert.equal(store.listConflicts({ lost: false }).total, 0);
  assert.equal(store.getAgent('a').syncStatus, 'synced', 'nothing to push: the resolution is already the hub’s');

  const undone = store.undoResolution(c!.id);
  assert.equal(undone.status, 'pending');
  assert.equal(store.getAgent('a').name, 'from A', 'the replaced edit is back');
  assert.equal(store.getAgent('a').syncStatus, 'conflict');
  store.resolveConflict(c!.id, { resolvedData: undone.local, strategy: 'local', resolvedBy: 'me', automatic: false });
  const [push] = store.leaseBatch({ limit: 10, leaseMs: 60_000 }).changes;
  assert.equal(push!.data!.name, 'from A');
  assert.deepEqual(push!.overrode?.[0]?.nodeId, 'node-b', 'and node-b is told in turn');
});

test('the overridden node: a note naming another write, another node, or paths that did not change tells nothing; a malformed one is refused', (t) => {
  const ts = openTestStore({ nodeId: 'node-a' });
  t.after(() => ts.cleanup());
  const { store } = ts;
  const mine = ackedLocalWrite(ts, 'a', { name: 'from A' });
  const next = (vvB: number, fields: Record<string, unknown>, overrode: unknown) => {
    const r = remoteAgent('a', { 'node-a': 2, 'node-b': vvB }, { name: 'from A', status: mine.status, config: mine.config, ...fields });
    r.data!.createdAt = mine.createdAt;
    return { ...r, overrode: overrode as OverriddenWrite[] }; // a hostile hub may send anything here
  };
  store.applyRemoteChanges([next(1, { status: 'paused' }, [note({ hlc: mine.hlc, fields: ['name'] })])]); // name kept
  assert.equal(store.listConflicts({ lost: true }).total, 0, 'a claim the data does not bear out');
  const now = store.getAgent('a');
  store.applyRemoteChanges([next(2, { name: 'B1' }, [note({ hlc: mine.hlc, fields: ['name'] })])]);
  assert.equal(store.listConflicts({ lost: true }).total, 0, 'the row no longer holds that write (node-b wrote since)');
  assert.notEqual(now.hlc, mine.hlc);
  store.applyRemoteChanges([next(3, { name: 'B2' }, [note({ nodeId: 'node-c', hlc: store.getAgent('a').hlc })])]);
  assert.equal(store.listConflicts({ lost: true }).total, 0, 'a note for another node');
  const before = store.getAgent('a');
  assert.throws(() => store.applyRemoteChanges([next(4, { name: 'B3' }, [{ nodeId: 'node-a', hlc: 'nope', fields: 'name' }])]), code('invalid_input'));
  assert.throws(
    () => store.applyRemoteChanges([next(4, { name: 'B3' }, Array.from({ length: 17 }, () => note({ hlc: before.hlc })))]),
    code('invalid_input'),
    'at most 16 notes',
  );
  assert.equal(store.getAgent('a').name, before.name, 'a refused batch writes nothing');
});
