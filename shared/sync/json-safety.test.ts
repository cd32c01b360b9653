import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { findUnsafeJson } from './json-safety';

const nest = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
};

test('refuses NUL and lone surrogates in values and field names, __proto__ keys, and nesting past the bound', () => {
  const refused: [unknown, RegExp][] = [
    [{ a: 'x\u0000y' }, /NUL/],
    [{ ['k\u0000']: 1 }, /field name: .*NUL/],
    [['ok', { deep: ['\ud800'] }], /lone surrogate/],
    [{ a: 'end \udfff' }, /lone surrogate/],
    [{ ['\udc00key']: 1 }, /field name: .*lone surrogate/],
    [JSON.parse('{"a": {"__proto__": {"x": 1}}}'), /__proto__/],
    [nest(65), /nested deeper than 64/],
    [{ changes: [nest(64)] }, /nested deeper than 64/],
  ];
  for (const [value, message] of refused) {
    const problem = findUnsafeJson(value);
    assert.ok(problem && message.test(problem), `${JSON.stringify(value)?.slice(0, 80)}: ${problem}`);
  }
  for (const value of [null, 1, 'plain', { emoji: '😀 paired \ud83d\ude00', ['é']: ['ü'] }, nest(64), [], {}, { a: [null, true, 1.5] }, new Date(0)]) {
    assert.equal(findUnsafeJson(value), null, JSON.stringify(value)?.slice(0, 80));
  }
  assert.equal(findUnsafeJson(nest(10), 10), null);
  assert.match(findUnsafeJson(nest(11), 10) ?? '', /deeper than 10/);
});

/** The previous implementation (explicit stack, regex), kept as the reference the rewrite must agree with. */
function reference(value: unknown, maxDepth = 64): boolean {
  const lone = /\p{Cs}/u;
  const bad = (s: string) => s.includes('\u0000') || lone.test(s);
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (bad(v)) return false;
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) return false;
    if (Array.isArray(v)) {
      for (const item of v) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    for (const [key, item] of Object.entries(v)) {
      if (bad(key) || key === '__proto__') return false;
      stack.push({ value: item, depth: depth + 1 });
    }
  }
  return true;
}

test('agrees with the previous implementation on generated JSON with odd Unicode and deep nesting', () => {
  const odd = fc.constantFrom('\u0000', '\ud800', '\udfff', '\ud83d\ude00', 'a', '__proto__', 'é');
  const str = fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.array(odd, { maxLength: 3 }).map((a) => a.join('')));
  const json = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.constant(null), fc.boolean(), fc.double(), str, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(str, tie('value'), { maxKeys: 4 })),
  })).value;
  fc.assert(
    fc.property(json, fc.integer({ min: 1, max: 6 }), (value, maxDepth) => {
      assert.equal(findUnsafeJson(value, maxDepth) === null, reference(value, maxDepth));
    }),
    { numRuns: 3000 },
  );
});
