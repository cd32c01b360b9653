import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentPatch } from '../../main/store/index';
import { OutpostError } from '../../shared/errors';
import type { SettingsPatch } from '../../shared/domain/settings';
import { openStoreNode, Relay, type StoreNode } from './support';

let open: StoreNode[] = [];
afterEach(() => {
  for (const n of open) n.close();
  open = [];
});

function pair(settings: SettingsPatch = {}) {
  const a = openStoreNode('node-a', settings);
  const b = openStoreNode('node-b', settings);
  open.push(a, b);
  return { a, b, relay: new Relay() };
}

const base = { id: 'ag-1', name: 'scout', type: 'llm', status: 'inactive' as const, config: { model: 'small', temperature: 0.2, tools: ['search'] } };

/** A creates the agent and B receives it; then both edit it; B pulls A's edit: the conflict is on B. */
function conflictOnB(a: StoreNode, b: StoreNode, relay: Relay, onA: AgentPatch | 'delete', onB: AgentPatch | 'delete'): number[] {
  a.store.createAgent(base);
  relay.carry(a, [b]);
  for (const [node, edit] of [[a, onA], [b, onB]] as const) {
    const current = node.store.getAgent(base.id);
    if (edit === 'delete') node.store.deleteAgent(base.id, current.version);
    else node.store.updateAgent({ id: base.id, patch: edit, expectedVersion: current.version });
  }
  const [ids] = relay.carry(a, [b]);
  assert.equal(ids!.length, 1, 'one conflict recorded on B');
  return ids!;
}

const domain = (n: StoreNode) => {
  const { name, type, status, config } = n.store.getAgent(base.id);
  return { name, type, status, config };
};
const pendingEvents = (n: StoreNode) => n.events.filter((e) => e.event === 'conflicts.changed').map((e) => (e.payload as { pending: number }).pending);

test('lww (the default) resolves automatically, both nodes converge, and the resolution can be undone', async () => {
  const { a, b, relay } = pair();
  const ids = conflictOnB(a, b, relay, { name: 'scout-a' }, { config: { ...base.config, model: 'large' } });
  const report = await b.resolver.onConflictsRecorded(ids);
  assert.deepEqual(report, { resolved: 1, manual: 0, failed: 0 });
  const merged = { name: 'scout-a', type: 'llm', status: 'inactive', config: { ...base.config, model: 'large' } };
  assert.deepEqual(domain(b), merged, "both sides' separate edits are kept");

  const detail = await b.service.get(`r:${ids[0]}`);
  assert.equal(detail.status, 'resolved');
  assert.equal(detail.automatic, true);
  assert.equal(detail.strategy, 'lww');
  assert.equal(detail.undoable, true);
  assert.equal((detail.replaced as { config: { model: string } }).config.model, 'large', 'the data it replaced is recorded');
  assert.equal((detail.replaced as { name: string }).name, 'scout');
  const automatic = await b.service.list({ status: 'resolved', automatic: true, offset: 0, limit: 10 });
  assert.deepEqual(automatic.items.map((c) => c.id), [`r:${ids[0]}`]);
  assert.equal((await b.service.list({ automatic: false, offset: 0, limit: 10 })).total, 0);

  // the resolution is a write that syncs: A takes it in as a fast-forward, no new conflict
  const [onA] = relay.carry(b, [a]);
  assert.deepEqual(onA, []);
  assert.deepEqual(domain(a), merged);

  // undo: B's data before the resolution comes back, the conflict is pending again
  const undone = await b.service.undo(`r:${ids[0]}`);
  assert.equal(undone.status, 'pending');
  assert.equal(domain(b).name, 'scout');
  assert.equal(domain(b).config.model, 'large');
  assert.equal(pendingEvents(b).at(-1), 1);
  await assert.rejects(b.service.undo(`r:${ids[0]}`), (e: OutpostError) => e.code === 'conflict');

  // a person picks per field; the choice syncs and both converge
  const resolved = await b.service.resolve(`r:${ids[0]}`, { fields: { name: 'remote', config: 'local' } });
  assert.equal(resolved.status, 'resolved');
  assert.equal(resolved.strategy, 'manual:fields');
  assert.equal(resolved.resolvedBy, 'person@node-b');
  assert.equal(pendingEvents(b).at(-1), 0);
  relay.carry(b, [a]);
  assert.deepEqual(domain(a), merged);
  assert.deepEqual(domain(b), merged);
});

test('a conflict the strategy cannot settle waits for a person, with suggestions; bad choices change nothing', async () => {
  const { a, b, relay } = pair({ conflicts: { tables: { agents: { strategy: 'merge' } } } });
  const ids = conflictOnB(a, b, relay, { config: { ...base.config, model: 'medium', tools: ['search', 'code'] } }, { config: { ...base.config, model: 'large' }, status: 'active' });
  assert.deepEqual(await b.resolver.onConflictsRecorded(ids), { resolved: 0, manual: 1, failed: 0 });
  const id = `r:${ids[0]}`;
  const detail = await b.service.get(id);
  assert.equal(detail.status, 'pending');
  assert.deepEqual(detail.changes, [
    { field: 'status', local: true, remote: false, contested: false },
    { field: 'config', local: true, remote: true, contested: true },
  ]);
  assert.deepEqual(detail.suggestions.map((s) => s.choice), ['local', 'remote', 'merge']);
  const merge = detail.suggestions[2]!;
  assert.deepEqual((merge.data as { config: unknown }).config, { model: 'large', temperature: 0.2, tools: ['search', 'code'] }, 'B wrote last: its model; both tool lists');
  assert.ok(merge.confidence < 0.8);
  const summary = (await b.service.list({ status: 'pending', offset: 0, limit: 10 })).items[0]!;
  assert.deepEqual(summary.fields, ['status', 'config']);
  assert.equal(summary.similarKey, 'agents|update-update|config!,status');
  assert.equal(pendingEvents(b).at(-1), 1);

  const before = domain(b);
  await assert.rejects(b.service.resolve(id, { fields: { config: { value: 'large' } } }), (e: OutpostError) => e.code === 'invalid_input' && /config must be an object/.test(e.message));
  await assert.rejects(b.service.resolve(id, { fields: { name: { value: '' } } }), (e: OutpostError) => e.code === 'invalid_input');
  await assert.rejects(b.service.resolve(id, { fields: { bogus: 'local' } }), (e: OutpostError) => e.code === 'invalid_input');
  await assert.rejects(b.service.resolve('r:99999', 'local'), (e: OutpostError) => e.code === 'not_found');
  assert.deepEqual(domain(b), before, 'refused choices wrote nothing');
  assert.equal((await b.service.get(id)).status, 'pending');

  await b.service.resolve(id, { fields: { config: { value: { model: 'edited', tools: [] } } } });
  relay.carry(b, [a]);
  assert.deepEqual(domain(a), { ...before, config: { model: 'edited', tools: [] } });
  assert.deepEqual(domain(a), domain(b));
  await assert.rejects(b.service.resolve(id, 'local'), (e: OutpostError) => e.code === 'conflict');
});

test("the seed's rules: status stays local while the local agent is active, config merges, name takes the newest", async () => {
  const { a, b, relay } = pair({ conflicts: { tables: { agents: { strategy: 'rules' } } } });
  const ids = conflictOnB(
    a,
    b,
    relay,
    { name: 'from-a', status: 'paused', config: { ...base.config, temperature: 0.9 } },
    { name: 'from-b', status: 'running', config: { ...base.config, tools: ['search', 'shell'] } },
  );
  assert.deepEqual(await b.resolver.onConflictsRecorded(ids), { resolved: 1, manual: 0, failed: 0 });
  const got = domain(b);
  assert.equal(got.status, 'running', 'the local agent is running: its status stays');
  assert.deepEqual(got.config, { model: 'small', temperature: 0.9, tools: ['search', 'shell'] });
  assert.equal(got.name, 'from-b', 'B wrote last, so its name is the newest');
  const detail = await b.service.get(`r:${ids[0]}`);
  assert.equal(detail.strategy, 'rules');
  assert.equal(detail.confidence, 0.9);
});

test('keep-both keeps the remote version as a linked copy that syncs', async () => {
  const { a, b, relay } = pair({ conflicts: { tables: { agents: { strategy: 'keep-both' } } } });
  const ids = conflictOnB(a, b, relay, { name: 'from-a' }, { name: 'from-b' });
  assert.deepEqual(await b.resolver.onConflictsRecorded(ids), { resolved: 1, manual: 0, failed: 0 });
  assert.equal(domain(b).name, 'from-b');
  const agents = b.store.listAgents({ limit: 10 }).items;
  assert.equal(agents.length, 2);
  const copy = agents.find((x) => x.id !== base.id)!;
  assert.equal(copy.name, 'from-a (conflict copy)');
  relay.carry(b, [a]);
  assert.deepEqual(a.store.listAgents({ limit: 10 }).items.map((x) => x.name).sort(), ['from-a (conflict copy)', 'from-b']);
});

test('delete-update follows the policy: manual by default, update-wins restores the record everywhere', async () => {
  const manual = pair();
  const ids = conflictOnB(manual.a, manual.b, manual.relay, 'delete', { name: 'edited-on-b' });
  assert.deepEqual(await manual.b.resolver.onConflictsRecorded(ids), { resolved: 0, manual: 1, failed: 0 });
  const detail = await manual.b.service.get(`r:${ids[0]}`);
  assert.equal(detail.type, 'delete-update');
  assert.equal(detail.remote, null);
  assert.deepEqual(detail.suggestions.map((s) => s.choice), ['local', 'remote']);
  await assert.rejects(manual.b.service.resolve(`r:${ids[0]}`, 'merge'), (e: OutpostError) => e.code === 'invalid_input');
  await manual.b.service.resolve(`r:${ids[0]}`, 'remote');
  assert.throws(() => manual.b.store.getAgent(base.id), (e: OutpostError) => e.code === 'not_found');
  for (const n of open) n.close();
  open = [];

  const { a, b, relay } = pair({ conflicts: { deleteUpdatePolicy: 'update-wins' } });
  const ids2 = conflictOnB(a, b, relay, 'delete', { name: 'edited-on-b' });
  assert.deepEqual(await b.resolver.onConflictsRecorded(ids2), { resolved: 1, manual: 0, failed: 0 });
  assert.equal((await b.service.get(`r:${ids2[0]}`)).strategy, 'update-wins');
  relay.carry(b, [a]);
  assert.equal(a.store.getAgent(base.id).name, 'edited-on-b', 'the deleting node takes the record back');
});

test('escalate keeps a conflict unresolved but out of the pending count', async () => {
  const { a, b, relay } = pair({ conflicts: { tables: { agents: { strategy: 'manual' } } } });
  const ids = conflictOnB(a, b, relay, { name: 'x' }, { name: 'y' });
  await b.resolver.onConflictsRecorded(ids);
  const id = `r:${ids[0]}`;
  assert.equal(await b.service.pendingCount(), 1);
  assert.equal((await b.service.escalate(id)).status, 'escalated');
  assert.equal(await b.service.pendingCount(), 0);
  assert.equal(pendingEvents(b).at(-1), 0);
  assert.deepEqual((await b.service.list({ status: 'escalated', offset: 0, limit: 5 })).items.map((c) => c.id), [id]);
  await assert.rejects(b.service.escalate(id), (e: OutpostError) => e.code === 'conflict');
  // an escalated conflict can still be resolved
  await b.service.resolve(id, 'local');
  assert.equal(domain(b).name, 'y');
  await assert.rejects(b.service.get('x:1'), (e: OutpostError) => e.code === 'invalid_input');
  await assert.rejects(b.service.get('w:abc'), (e: OutpostError) => e.code === 'not_found');
});
