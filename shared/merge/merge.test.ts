import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeHlc } from '../sync/hlc';
import { OutpostError } from '../errors';
import {
  applyRecordChoice,
  changedFields,
  copyIdFor,
  jsonEqual,
  mergeText,
  resolveConflict,
  suggestionsFor,
  tableMergeSettings,
  type ConflictInput,
  type JsonRecord,
  type TableMergeSettings,
} from './index';
import { defaultSettings } from '../domain/settings';

const OLD = encodeHlc({ wallMs: 1_700_000_000_000, counter: 0, nodeId: 'nodeA' });
const NEW = encodeHlc({ wallMs: 1_700_000_005_000, counter: 0, nodeId: 'nodeB' });

const settings = (strategy: TableMergeSettings['strategy'], extra: Partial<TableMergeSettings> = {}): TableMergeSettings => ({
  strategy,
  rules: [],
  threshold: 0.8,
  deleteUpdatePolicy: 'manual',
  ...extra,
});

function conflict(base: JsonRecord | null, local: JsonRecord | null, remote: JsonRecord | null, localNewer = false): ConflictInput {
  const type = local === null || remote === null ? 'delete-update' : base === null ? 'create-create' : 'update-update';
  return {
    table: 'agents',
    recordId: 'a1',
    type,
    base,
    local: { data: local, hlc: localNewer ? NEW : OLD },
    remote: { data: remote, hlc: localNewer ? OLD : NEW },
  };
}

const agentBase = { name: 'scout', type: 'llm', status: 'inactive', config: { model: 'small', temperature: 0.2, tools: ['search'] } };

test('lww keeps one-sided edits and gives contested fields to the newer write', () => {
  const local = { ...agentBase, name: 'scout-local', status: 'active' };
  const remote = { ...agentBase, name: 'scout-remote', config: { ...agentBase.config, model: 'large' } };
  const r = resolveConflict(conflict(agentBase, local, remote), settings('lww'));
  assert.equal(r.automatic, true);
  assert.equal(r.strategy, 'lww');
  assert.deepEqual(r.data, { ...agentBase, name: 'scout-remote', status: 'active', config: { ...agentBase.config, model: 'large' } });
  assert.deepEqual(r.decisions.map((d) => [d.path, d.took]), [['name', 'remote']]);
});

test('lww (the default) merges config key by key: edits to different keys all survive at full confidence', () => {
  const local = { ...agentBase, config: { ...agentBase.config, temperature: 0.7 } };
  const remote = { ...agentBase, config: { ...agentBase.config, model: 'large' } };
  for (const localNewer of [false, true]) {
    const r = resolveConflict(conflict(agentBase, local, remote, localNewer), settings('lww'));
    assert.deepEqual(r.data, { ...agentBase, config: { model: 'large', temperature: 0.7, tools: ['search'] } });
    assert.equal(r.confidence, 1, 'no leaf was changed by both sides');
    assert.equal(r.automatic, true);
    assert.deepEqual(r.decisions, []);
  }
  // nested deeper: keys of an object inside config merge too
  const deepBase = { ...agentBase, config: { limits: { tokens: 100, calls: 5 } } };
  const deep = resolveConflict(
    conflict(deepBase, { ...deepBase, config: { limits: { tokens: 200, calls: 5 } } }, { ...deepBase, config: { limits: { tokens: 100, calls: 9 } } }),
    settings('lww'),
  );
  assert.deepEqual(deep.data?.['config'], { limits: { tokens: 200, calls: 9 } });
});

test('lww decides by clock only a leaf both sides changed, with confidence below 1', () => {
  const local = { ...agentBase, config: { ...agentBase.config, model: 'medium', temperature: 0.7 } };
  const remote = { ...agentBase, config: { ...agentBase.config, model: 'large' } };
  const remoteNewer = resolveConflict(conflict(agentBase, local, remote, false), settings('lww'));
  assert.deepEqual(remoteNewer.data?.['config'], { model: 'large', temperature: 0.7, tools: ['search'] });
  assert.ok(remoteNewer.confidence < 1);
  assert.equal(remoteNewer.automatic, true, 'above the default threshold: applied, reviewable, undoable');
  assert.deepEqual(remoteNewer.decisions.map((d) => [d.path, d.took]), [['config.model', 'remote']]);
  const localNewer = resolveConflict(conflict(agentBase, local, remote, true), settings('lww'));
  assert.equal((localNewer.data?.['config'] as JsonRecord)['model'], 'medium');
  assert.deepEqual(localNewer.decisions.map((d) => [d.path, d.took]), [['config.model', 'local']]);
});

test('merge combines nested config, unions arrays, and leaves a leaf both changed below the threshold', () => {
  const local = { ...agentBase, config: { ...agentBase.config, temperature: 0.5, tools: ['search', 'code'] } };
  const remote = { ...agentBase, config: { ...agentBase.config, model: 'large', tools: ['search', 'browse'] } };
  const clean = resolveConflict(conflict(agentBase, local, remote), settings('merge'));
  assert.equal(clean.automatic, true);
  assert.deepEqual(clean.data, { ...agentBase, config: { model: 'large', temperature: 0.5, tools: ['search', 'browse', 'code'] } });

  const both = { ...agentBase, config: { ...agentBase.config, model: 'medium' } };
  const leaf = resolveConflict(conflict(agentBase, both, remote), settings('merge'));
  assert.equal(leaf.automatic, false, 'a scalar both changed cannot be merged: a person decides');
  assert.equal(leaf.confidence, 0.5);
  assert.equal((leaf.data?.['config'] as JsonRecord)['model'], 'large', 'the proposal takes the newer value');
});

test('arrays drop only what both sides removed', () => {
  const base = { tags: ['a', 'b', 'c'] };
  const r = resolveConflict(conflict(base, { tags: ['a', 'c', 'x'] }, { tags: ['a', 'y'] }), settings('merge'));
  // b was removed on both sides and goes; c was removed on one side only and stays (with lower confidence)
  assert.deepEqual(r.data, { tags: ['a', 'y', 'c', 'x'] });
  assert.ok(r.confidence < 1);
});

test('long text merges line by line', () => {
  const base = 'line 1\nline 2\nline 3\nline 4\n';
  const local = 'line 1 local\nline 2\nline 3\nline 4\n';
  const remote = 'line 1\nline 2\nline 3\nline 4 remote\n';
  const r = resolveConflict(conflict({ notes: base }, { notes: local }, { notes: remote }), settings('merge'));
  assert.equal(r.data?.['notes'], 'line 1 local\nline 2\nline 3\nline 4 remote\n');
  assert.equal(r.automatic, true);
  const overlap = mergeText(base, 'line 1 newer\nline 2\nline 3\nline 4\n', 'line 1 older\nline 2\nline 3\nline 4\n');
  assert.deepEqual(overlap, { text: 'line 1 newer\nline 2\nline 3\nline 4\n', conflicted: 1 });
});

test("the seed's rules: status stays local while the local agent is active, config merges, name takes the newest", () => {
  const local = { ...agentBase, name: 'scout-l', status: 'active', config: { ...agentBase.config, temperature: 0.7 } };
  const remote = { ...agentBase, name: 'scout-r', status: 'paused', config: { ...agentBase.config, tools: ['search', 'web'] } };
  const r = resolveConflict(conflict(agentBase, local, remote), settings('rules'));
  assert.equal(r.strategy, 'rules');
  assert.deepEqual(r.data, {
    ...agentBase,
    name: 'scout-r',
    status: 'active',
    config: { model: 'small', temperature: 0.7, tools: ['search', 'web'] },
  });
  assert.equal(r.confidence, 0.9, 'the weakest rule that decided something (name, weight 0.9)');
  assert.equal(r.automatic, true);

  // the local agent is no longer active: status goes to the newer write
  const idle = resolveConflict(conflict(agentBase, { ...local, status: 'error' }, remote), settings('rules'));
  assert.equal(idle.data?.['status'], 'paused');

  // a field no rule covers falls back to the newer write with low confidence: a person decides
  const unruled = resolveConflict(conflict(agentBase, { ...agentBase, type: 'x' }, { ...agentBase, type: 'y' }), settings('rules'));
  assert.equal(unruled.automatic, false);
  assert.equal(unruled.confidence, 0.5);

  // configured rules replace the defaults, and weights set the confidence against the threshold
  const custom = resolveConflict(
    conflict(agentBase, { ...agentBase, type: 'x' }, { ...agentBase, type: 'y' }),
    settings('rules', { rules: [{ field: 'type', strategy: 'local', weight: 0.7 }], threshold: 0.6 }),
  );
  assert.equal(custom.data?.['type'], 'x');
  assert.equal(custom.automatic, true);
});

test('local, remote, keep-both and manual strategies', () => {
  const local = { ...agentBase, name: 'L' };
  const remote = { ...agentBase, name: 'R', status: 'active' };
  assert.deepEqual(resolveConflict(conflict(agentBase, local, remote), settings('local')).data, local);
  assert.deepEqual(resolveConflict(conflict(agentBase, local, remote), settings('remote')).data, remote);
  const kb = resolveConflict(conflict(agentBase, local, remote), settings('keep-both'));
  assert.deepEqual(kb.data, local);
  assert.equal(kb.copy?.recordId, copyIdFor('a1', NEW));
  assert.match(kb.copy!.recordId, /^a1\.copy-[0-9a-f]{8}$/);
  assert.deepEqual(kb.copy?.data, { ...remote, name: 'R (conflict copy)' });
  const manual = resolveConflict(conflict(agentBase, local, remote), settings('manual'));
  assert.equal(manual.automatic, false);
});

test('delete-update follows the policy', () => {
  const edited = { ...agentBase, name: 'edited' };
  const localDeleted = conflict(agentBase, null, edited);
  assert.equal(localDeleted.type, 'delete-update');
  assert.deepEqual(resolveConflict(localDeleted, settings('lww', { deleteUpdatePolicy: 'update-wins' })).data, edited);
  assert.equal(resolveConflict(localDeleted, settings('lww', { deleteUpdatePolicy: 'delete-wins' })).data, null);
  const manual = resolveConflict(localDeleted, settings('lww'));
  assert.equal(manual.automatic, false);
  const s = suggestionsFor(localDeleted);
  assert.deepEqual(s.map((x) => x.choice), ['local', 'remote']);
  assert.match(s[0]!.tradeoff, /Deletes the record/);
  assert.match(s[1]!.tradeoff, /delete made on this node is undone/);
});

test('create-create merges against an empty base', () => {
  const r = resolveConflict(conflict(null, { name: 'x', type: 'a' }, { name: 'x', status: 'active' }), settings('merge'));
  assert.equal(r.automatic, true);
  assert.deepEqual(r.data, { name: 'x', status: 'active', type: 'a' });
});

test('suggestions: keep local, keep remote, smart merge, with data, confidence and a trade-off', () => {
  const local = { ...agentBase, name: 'L', status: 'active' };
  const remote = { ...agentBase, name: 'R', config: { ...agentBase.config, model: 'large' } };
  const s = suggestionsFor(conflict(agentBase, local, remote));
  assert.deepEqual(s.map((x) => x.choice), ['local', 'remote', 'merge']);
  assert.deepEqual(s[0]!.data, local);
  assert.match(s[0]!.tradeoff, /the other node's edits to name, config are dropped/);
  assert.equal(s[0]!.confidence, 0.5); // keeps 2 of 4 edits
  assert.deepEqual(s[2]!.data, { ...agentBase, name: 'R', status: 'active', config: { ...agentBase.config, model: 'large' } });
  assert.match(s[2]!.tradeoff, /where both changed name it takes the newer \(remote\) value/);
  for (const x of s) assert.ok(x.confidence >= 0 && x.confidence <= 1);
});

test('changedFields marks which side changed which field', () => {
  const changes = changedFields(agentBase, { ...agentBase, name: 'L', status: 'active' }, { ...agentBase, name: 'R', type: 'x' });
  assert.deepEqual(changes, [
    { field: 'name', local: true, remote: true, contested: true },
    { field: 'type', local: false, remote: true, contested: false },
    { field: 'status', local: true, remote: false, contested: false },
  ]);
});

test("a person's field choices: sides, base, edited values checked against the field's type", () => {
  const local = { ...agentBase, name: 'L', status: 'active' };
  const remote = { ...agentBase, name: 'R', config: { ...agentBase.config, model: 'large' } };
  const input = conflict(agentBase, local, remote);
  assert.deepEqual(applyRecordChoice(input, 'local'), local);
  assert.deepEqual(applyRecordChoice(input, { fields: { name: 'local', status: 'base', config: { value: { model: 'x' } } } }), {
    ...agentBase,
    name: 'L',
    config: { model: 'x' },
  });
  // untouched fields take the smart merge
  assert.deepEqual(applyRecordChoice(input, { fields: { name: 'local' } }), { ...agentBase, name: 'L', status: 'active', config: remote.config });
  const invalid = (fn: () => unknown, re: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof OutpostError && e.code === 'invalid_input' && re.test(e.message));
  invalid(() => applyRecordChoice(input, { fields: { config: { value: 'not an object' } } }), /config must be an object, not a string/);
  invalid(() => applyRecordChoice(input, { fields: { name: { value: 3 } } }), /name must be a string/);
  invalid(() => applyRecordChoice(input, { fields: { nope: 'local' } }), /not a field/);
  invalid(() => applyRecordChoice(input, { text: 'x' }), /field choices/);
  invalid(() => applyRecordChoice(conflict(null, local, remote), { fields: { name: 'base' } }), /no base/);
  // a JSON key named __proto__ stays data and never becomes a prototype
  const polluted = JSON.parse('{"__proto__": {"admin": true}, "name": "p"}') as JsonRecord;
  const merged = resolveConflict(conflict({ name: 'p' }, polluted, { name: 'q' }), settings('merge')).data!;
  assert.equal(Object.getPrototypeOf(merged), Object.prototype);
  assert.deepEqual(Object.keys(merged).sort(), ['__proto__', 'name']);
});

test('tableMergeSettings reads the settings', () => {
  const s = defaultSettings();
  assert.deepEqual(tableMergeSettings(s.conflicts, 'agents'), { strategy: 'lww', rules: [], threshold: 0.8, deleteUpdatePolicy: 'manual' });
  assert.equal(tableMergeSettings(s.conflicts, 'unknown').strategy, 'lww');
});

// ---- properties -------------------------------------------------------------------------------------------------

const leaf = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom('a', 'b', 'c', ''), fc.boolean(), fc.constant(null));
const config = fc.dictionary(fc.constantFrom('model', 'temp', 'tools', 'limits'), fc.oneof(leaf, fc.array(leaf, { maxLength: 4 }), fc.dictionary(fc.constantFrom('x', 'y'), leaf)), { maxKeys: 4 });
const text = fc.array(fc.constantFrom('alpha\n', 'beta\n', 'gamma\n', 'delta\n'), { maxLength: 6 }).map((lines) => lines.join(''));
const fieldValue: Record<string, fc.Arbitrary<unknown>> = {
  name: fc.constantFrom('scout', 'ranger', 'pilot'),
  status: fc.constantFrom('inactive', 'active', 'paused'),
  config,
  tags: fc.array(fc.constantFrom('t1', 't2', 't3', 't4'), { maxLength: 4 }),
  notes: text,
  count: fc.integer({ min: 0, max: 3 }),
};
const fields = Object.keys(fieldValue);
const record = fc.record(fieldValue, { requiredKeys: ['name'] }) as fc.Arbitrary<JsonRecord>;

/** A side derived from the base: each field kept, changed or removed. */
const editOf = (base: JsonRecord): fc.Arbitrary<JsonRecord> =>
  fc.tuple(...fields.map((f) => fc.oneof(fc.constant<'keep'>('keep'), fc.constant<'drop'>('drop'), fieldValue[f]!.map((v) => ({ v }))))).map((edits) => {
    const out: JsonRecord = { ...base };
    edits.forEach((e, i) => {
      const f = fields[i]!;
      if (e === 'drop') delete out[f];
      else if (e !== 'keep') out[f] = (e as { v: unknown }).v;
    });
    return out;
  });
const triple = record.chain((base) => fc.tuple(fc.constant(base), editOf(base), editOf(base)));
const symmetric = ['lww', 'merge'] as const;
const merging = ['lww', 'merge', 'rules'] as const;

test('property: a side merged with an unchanged other side gives that side', () => {
  fc.assert(
    fc.property(triple, fc.constantFrom(...merging), fc.boolean(), ([base, edited], strategy, localNewer) => {
      for (const [l, r] of [[edited, base], [base, edited]] as const) {
        const res = resolveConflict(conflict(base, l, r, localNewer), settings(strategy));
        assert.ok(jsonEqual(res.data, edited), `${strategy}: ${JSON.stringify(res.data)} vs ${JSON.stringify(edited)}`);
        assert.equal(res.confidence, 1);
        assert.equal(res.automatic, true);
      }
    }),
    { numRuns: 300 },
  );
});

test('property: identical edits merge to themselves', () => {
  fc.assert(
    fc.property(triple, fc.constantFrom('lww', 'merge', 'rules', 'local', 'remote', 'keep-both'), ([base, edited], strategy) => {
      const res = resolveConflict(conflict(base, edited, structuredClone(edited)), settings(strategy));
      assert.ok(jsonEqual(res.data, edited));
      assert.equal(res.decisions.length, 0);
    }),
    { numRuns: 300 },
  );
});

test('property: no field present on either side is lost silently', () => {
  fc.assert(
    fc.property(triple, fc.constantFrom(...merging), fc.boolean(), ([base, local, remote], strategy, localNewer) => {
      const res = resolveConflict(conflict(base, local, remote, localNewer), settings(strategy));
      const data = res.data!;
      for (const [side, other] of [[local, remote], [remote, local]] as const) {
        for (const f of Object.keys(side)) {
          if (Object.hasOwn(data, f)) continue;
          const decided = res.decisions.some((d) => d.path === f || d.path.startsWith(`${f}.`));
          // the other side removed it and this side left it as it was: a deliberate delete, not a loss
          const deliberate = !Object.hasOwn(other, f) && jsonEqual(side[f], base[f]);
          assert.ok(decided || deliberate, `${strategy} lost ${f} silently`);
        }
      }
      // arrays both sides changed, under merge: every item either side holds survives
      const [lt, rt, bt] = [local['tags'], remote['tags'], base['tags']];
      if (strategy === 'merge' && Array.isArray(lt) && Array.isArray(rt) && !jsonEqual(lt, bt) && !jsonEqual(rt, bt)) {
        for (const t of [...lt, ...rt]) assert.ok((data['tags'] as unknown[]).includes(t), `tag ${String(t)} lost`);
      }
    }),
    { numRuns: 400 },
  );
});

test('property: symmetric strategies give the same result whichever node runs them', () => {
  fc.assert(
    fc.property(triple, fc.constantFrom(...symmetric), ([base, a, b], strategy) => {
      // node A sees (local a, remote b) with b newer; node B sees (local b, remote a) with b newer
      const onA = resolveConflict(conflict(base, a, b, false), settings(strategy));
      const onB = resolveConflict(conflict(base, b, a, true), settings(strategy));
      assert.ok(jsonEqual(onA.data, onB.data), `${JSON.stringify(onA.data)} != ${JSON.stringify(onB.data)}`);
      assert.equal(onA.confidence, onB.confidence);
      assert.ok(jsonEqual(suggestionsFor(conflict(base, a, b, false))[2]?.data, suggestionsFor(conflict(base, b, a, true))[2]?.data));
    }),
    { numRuns: 400 },
  );
});
