import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jsonEqual } from '../merge/json';
import { applyPatch, diffRecord, encodeUpsert, isEmptyPatch, utf8Length } from './delta';

test('diff then apply gives the new state, for any pair of records', () => {
  const record = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 });
  fc.assert(
    fc.property(record, record, (base, next) => {
      const patch = diffRecord(base, next);
      assert.ok(jsonEqual(applyPatch(base, patch), next));
    }),
    { numRuns: 300 },
  );
});

test('a one-field change yields a one-field patch; identical records an empty one', () => {
  const base = { name: 'a', status: 'idle', config: { model: 'x', temperature: 0.2, tags: ['a', 'b'] } };
  const next = { ...base, status: 'running' };
  assert.deepEqual(diffRecord(base, next), { set: { status: 'running' }, unset: [] });
  assert.ok(isEmptyPatch(diffRecord(base, { ...base, config: { tags: ['a', 'b'], temperature: 0.2, model: 'x' } })));
  assert.deepEqual(diffRecord(base, { name: 'a' }), { set: {}, unset: ['status', 'config'] });
});

test('encodeUpsert sends the patch only when it is smaller than the full state', () => {
  const base = { name: 'agent', description: 'x'.repeat(200), status: 'idle' };
  const small = encodeUpsert(base, { ...base, status: 'busy' });
  assert.ok(small.patch && !small.data);
  assert.deepEqual(small.patch, { set: { status: 'busy' }, unset: [] });
  assert.ok(JSON.stringify(small.patch).length < JSON.stringify({ ...base, status: 'busy' }).length / 5);
  const rewritten = encodeUpsert({ a: 1 }, { b: 2 });
  assert.ok(rewritten.data && !rewritten.patch);
  assert.ok(encodeUpsert(null, base).data);
});

test('utf8Length matches Buffer.byteLength', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => utf8Length(s) === Buffer.byteLength(s, 'utf8')));
});

test('applyPatch: sets and unsets on a copy with a plain prototype; a field named __proto__ is data, set and unset alike', () => {
  const base = { a: 1, b: { c: [1] }, d: 'x' };
  const out = applyPatch(base, { set: { d: 'y', e: null }, unset: ['a'] });
  assert.deepEqual(out, { b: { c: [1] }, d: 'y', e: null });
  assert.deepEqual(base, { a: 1, b: { c: [1] }, d: 'x' }, 'the base is untouched');
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  const hostileBase = JSON.parse('{"__proto__": {"polluted": true}, "k": 1}') as Record<string, unknown>;
  const set = applyPatch(hostileBase, { set: JSON.parse('{"__proto__": 2}') as Record<string, null>, unset: [] });
  assert.equal(Object.getPrototypeOf(set), Object.prototype);
  assert.equal(JSON.stringify(set), '{"__proto__":2,"k":1}', 'the patched field is applied, as the hub applies it');
  const unset = applyPatch(hostileBase, { set: {}, unset: ['__proto__'] });
  assert.equal(JSON.stringify(unset), '{"k":1}');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
