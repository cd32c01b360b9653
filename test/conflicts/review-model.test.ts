import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConflictDetail, ConflictSummary } from '../../shared/domain/conflicts';
import { changedFields, suggestionsFor } from '../../shared/merge/index';
import { encodeHlc } from '../../shared/sync/hlc';
import { fieldRows, portableChoice, preview, similarTo, sourceOf, toFieldChoices, toInput } from '../../renderer/src/pages/conflicts/model';

// The review window's pure state: what it previews is what conflicts.resolve will write.
const base = { name: 'scout', type: 'llm', status: 'inactive', config: { model: 's' } };
const local = { ...base, name: 'L', status: 'active' };
const remote = { ...base, name: 'R', config: { model: 'l' } };
const localHlc = encodeHlc({ wallMs: 2_000, counter: 0, nodeId: 'b' });
const remoteHlc = encodeHlc({ wallMs: 1_000, counter: 0, nodeId: 'a' });

function detail(overrides: Partial<ConflictDetail> = {}): ConflictDetail {
  const input = { table: 'agents', recordId: 'x', type: 'update-update' as const, base, local: { data: local, hlc: localHlc }, remote: { data: remote, hlc: remoteHlc } };
  return {
    id: 'r:1',
    kind: 'record',
    type: 'update-update',
    table: 'agents',
    recordId: 'x',
    title: 'L',
    sides: { local: 'this node', remote: 'a' },
    status: 'pending',
    detectedAt: '2026-01-01T00:00:00.000Z',
    resolvedAt: null,
    strategy: null,
    resolvedBy: null,
    automatic: false,
    confidence: null,
    lostFields: null,
    resolvedOn: null,
    fields: ['name', 'status', 'config'],
    similarKey: 'agents|update-update|config,name!,status',
    base,
    local,
    remote,
    resolved: null,
    replaced: null,
    localHlc,
    remoteHlc,
    changes: changedFields(base, local, remote),
    suggestions: suggestionsFor(input),
    undoable: false,
    ...overrides,
  };
}

test('rows: changed fields first, then the unchanged ones', () => {
  assert.deepEqual(fieldRows(detail()).map((r) => [r.field, r.changed, r.contested]), [
    ['name', true, true],
    ['status', true, false],
    ['config', true, false],
    ['type', false, false],
  ]);
});

test('preview: no picks is the smart merge; picks and edited values apply; bad edits are reported, not sent', () => {
  const d = detail();
  assert.deepEqual(preview(d, {}).data, { ...base, name: 'L', status: 'active', config: { model: 'l' } });
  const picked = preview(d, { name: { pick: 'remote', edited: '' }, config: { pick: 'edit', edited: '{"model": "x"}' } });
  assert.deepEqual(picked.data, { ...base, name: 'R', status: 'active', config: { model: 'x' } });
  assert.equal(sourceOf(d, picked.data, 'name'), 'remote');
  assert.equal(sourceOf(d, picked.data, 'config'), 'edited');
  assert.equal(sourceOf(d, picked.data, 'type'), 'both');

  const bad = toFieldChoices(toInput(d), { config: { pick: 'edit', edited: '{oops' }, name: { pick: 'edit', edited: '7' } });
  assert.deepEqual(Object.keys(bad.fields), []);
  assert.match(bad.errors['config']!, /not valid JSON/);
  assert.match(bad.errors['name']!, /name must be a string/);
});

test('apply to all similar: only side picks carry over, only to pending conflicts of the same shape', () => {
  assert.deepEqual(portableChoice({ name: { pick: 'local', edited: '' }, status: { pick: 'base', edited: '' } }), { fields: { name: 'local', status: 'base' } });
  assert.equal(portableChoice({ name: { pick: 'edit', edited: '"x"' } }), null);
  const d = detail();
  const others: ConflictSummary[] = [
    { ...d, id: 'r:2' },
    { ...d, id: 'r:3', status: 'escalated' },
    { ...d, id: 'r:4', similarKey: 'agents|update-update|name!' },
    { ...d },
  ];
  assert.deepEqual(similarTo(d, others).map((c) => c.id), ['r:2']);
});
