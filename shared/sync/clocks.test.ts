import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HybridClock, MAX_CLOCK_AHEAD_MS, compareHlc, decodeHlc, isHlc } from './hlc';
import { compareVv, descendsFrom, incrementVv, mergeVv, isVersionVector } from './version-vector';

test('HLC: local ticks are strictly increasing even when the wall clock stands still or runs backwards', () => {
  let wall = 1_000;
  const clock = new HybridClock('a', () => wall);
  const first = clock.tick();
  const second = clock.tick();
  wall = 500; // the machine's clock jumped back
  const third = clock.tick();
  assert.ok(compareHlc(first, second) < 0 && compareHlc(second, third) < 0);
  assert.equal(decodeHlc(third).wallMs, 1_000);
  assert.ok(isHlc(third));
});

test('HLC: after receiving a remote stamp, the next local stamp sorts after it (clock skew does not reorder causality)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1e12 }), fc.integer({ min: 0, max: MAX_CLOCK_AHEAD_MS }), fc.integer({ min: 0, max: 999 }), (localWall, skew, counter) => {
      const remote = new HybridClock('remote', () => localWall + skew);
      for (let i = 0; i < counter % 5; i++) remote.tick();
      const stamp = remote.tick();
      const local = new HybridClock('local', () => localWall);
      local.receive(stamp);
      assert.ok(compareHlc(local.tick(), stamp) > 0);
    }),
  );
});

test('HLC: a remote stamp past the clock-ahead bound is not followed (it would pin every later write)', () => {
  const clock = new HybridClock('a', () => 1_000_000);
  for (const ahead of [MAX_CLOCK_AHEAD_MS + 1, 30 * 86_400_000]) {
    clock.receive(new HybridClock('b', () => 1_000_000 + ahead).tick());
    assert.equal(decodeHlc(clock.tick()).wallMs, 1_000_000);
  }
  assert.throws(() => decodeHlc('not a clock'), /Malformed/);
});

test('HLC: a node whose clock ran hours ahead and was corrected stamps from the corrected wall clock again', () => {
  let wall = 1_700_000_000_000 + 3 * 3_600_000; // three hours ahead
  const started = new HybridClock('a', () => wall).tick();
  wall -= 3 * 3_600_000; // set right
  const restarted = new HybridClock('a', () => wall, started); // the stamp it persisted is the start
  assert.equal(decodeHlc(restarted.tick()).wallMs, wall);
  // a small step back (NTP slew, within the bound) still never runs backwards
  const slewed = new HybridClock('a', () => wall - 1000, restarted.current());
  assert.equal(decodeHlc(slewed.tick()).wallMs, wall);
});

test('version vectors: before/after/equal/concurrent, merge is the least upper bound', () => {
  const a = { n1: 2, n2: 1 };
  const b = { n1: 2, n2: 3 };
  const c = { n1: 3, n2: 1 };
  assert.equal(compareVv(a, b), 'before');
  assert.equal(compareVv(b, a), 'after');
  assert.equal(compareVv(a, { ...a }), 'equal');
  assert.equal(compareVv(b, c), 'concurrent');
  const m = mergeVv(b, c);
  assert.ok(descendsFrom(m, b) && descendsFrom(m, c));
  const resolved = incrementVv(m, 'n1');
  assert.equal(compareVv(resolved, b), 'after');
  assert.equal(compareVv(resolved, c), 'after');
  assert.equal(compareVv({}, { x: 0 }), 'equal');
});

test('version vectors: merge is commutative, associative and idempotent', () => {
  const vv = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.nat(20));
  fc.assert(
    fc.property(vv, vv, vv, (x, y, z) => {
      assert.equal(compareVv(mergeVv(x, y), mergeVv(y, x)), 'equal');
      assert.equal(compareVv(mergeVv(mergeVv(x, y), z), mergeVv(x, mergeVv(y, z))), 'equal');
      assert.equal(compareVv(mergeVv(x, x), x), 'equal');
    }),
  );
  assert.equal(isVersionVector({ a: 1 }), true);
  assert.equal(isVersionVector({ a: -1 }), false);
  assert.equal(isVersionVector([1]), false);
});

test('version vectors of nodes named like Object.prototype members (constructor, __proto__, toString)', () => {
  for (const node of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    const one = incrementVv({}, node);
    assert.deepEqual(Object.keys(one), [node], `${node}: an own entry`);
    assert.equal(Object.getPrototypeOf(one), Object.prototype, `${node}: the prototype stays`);
    assert.equal(one[node], 1);
    assert.equal(incrementVv(one, node)[node], 2);
    assert.equal(compareVv({}, one), 'before', node);
    assert.equal(compareVv(one, {}), 'after', node);
    assert.equal(compareVv({ a: 1 }, { a: 1 }), 'equal');
    assert.equal(compareVv(JSON.parse(`{"${node}": 0}`), {}), 'equal', `${node}: 0 is absent`);
    const merged = mergeVv({ a: 2 }, one);
    assert.deepEqual(JSON.parse(JSON.stringify(merged)), { a: 2, [node]: 1 });
    assert.ok(descendsFrom(merged, one) && descendsFrom(merged, { a: 2 }));
  }
});

test('compareVv answers as the definition on generated vectors, node ids named like prototype members included', () => {
  const vv = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'node-1', 'toString', 'constructor', '__proto__'), fc.integer({ min: 0, max: 3 }), { maxKeys: 4 });
  const entry = (v: Record<string, number>, k: string) => (Object.hasOwn(v, k) ? v[k]! : 0);
  fc.assert(
    fc.property(vv, vv, (a, b) => {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      const ahead = [...keys].some((k) => entry(a, k) > entry(b, k));
      const behind = [...keys].some((k) => entry(a, k) < entry(b, k));
      assert.equal(compareVv(a, b), ahead && behind ? 'concurrent' : ahead ? 'after' : behind ? 'before' : 'equal');
    }),
    { numRuns: 2000 },
  );
});
