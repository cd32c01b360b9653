import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyPatch, causality } from './sync-store';
import { compareVv } from '../shared/sync/version-vector';

test('causality answers as compareVv on generated version vectors (own keys only)', () => {
  const vv = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'node-1', 'toString', 'constructor'), fc.integer({ min: 0, max: 3 }), { maxKeys: 4 });
  fc.assert(
    fc.property(vv, vv, (a, b) => {
      // compareVv reads a missing `toString` through the prototype: compare it on vectors where that cannot matter
      const hasProtoName = (v: Record<string, number>) => Object.keys(v).some((k) => k === 'toString' || k === 'constructor');
      if (hasProtoName(a) || hasProtoName(b)) {
        const own = (x: Record<string, number>, y: Record<string, number>, k: string) => (Object.hasOwn(x, k) ? x[k]! : 0) - (Object.hasOwn(y, k) ? y[k]! : 0);
        const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
        const ahead = [...keys].some((k) => own(a, b, k) > 0);
        const behind = [...keys].some((k) => own(a, b, k) < 0);
        assert.equal(causality(a, b), ahead && behind ? 'concurrent' : ahead ? 'after' : behind ? 'before' : 'equal');
        return;
      }
      assert.equal(causality(a, b), compareVv(a, b));
    }),
    { numRuns: 2000 },
  );
  assert.equal(causality({ toString: 1 }, {}), 'after');
  assert.equal(causality({}, { constructor: 0 }), 'equal');
});

test('applyPatch: sets and unsets on a copy, plain prototype, __proto__ kept as data', () => {
  const base = { a: 1, b: { c: [1] }, d: 'x' };
  const out = applyPatch(base, { set: { d: 'y', e: null }, unset: ['a'] });
  assert.deepEqual(out, { b: { c: [1] }, d: 'y', e: null });
  assert.deepEqual(base, { a: 1, b: { c: [1] }, d: 'x' }, 'the base is untouched');
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  const hostile = applyPatch(JSON.parse('{"__proto__": {"polluted": true}, "k": 1}'), { set: JSON.parse('{"__proto__": 2}'), unset: [] });
  assert.equal(Object.getPrototypeOf(hostile), Object.prototype);
  assert.equal(JSON.stringify(hostile), '{"__proto__":2,"k":1}');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
