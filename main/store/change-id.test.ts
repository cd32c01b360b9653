import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { HybridClock, encodeHlc } from '../../shared/sync/hlc';
import { changeIdOf } from './change-id';

test('one id per write: stable for the same HLC, distinct across writes and nodes, valid UUIDs', () => {
  const a = new HybridClock('node-a', () => 1_763_000_000_000);
  const b = new HybridClock('node-b', () => 1_763_000_000_000);
  const ids = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    for (const clock of [a, b]) {
      const hlc = clock.tick();
      const id = changeIdOf(clock.nodeId, hlc);
      assert.equal(changeIdOf(clock.nodeId, hlc), id);
      assert.ok(z.uuid().safeParse(id).success, id);
      ids.add(id);
    }
  }
  assert.equal(ids.size, 4000);
  const far = encodeHlc({ wallMs: 999_999_999_999_999, counter: 999_999, nodeId: 'node-a' });
  assert.ok(z.uuid().safeParse(changeIdOf('node-a', far)).success);
  assert.notEqual(changeIdOf('node-a', far), changeIdOf('node-b', encodeHlc({ wallMs: 999_999_999_999_999, counter: 999_999, nodeId: 'node-b' })));
});

test('the same write pushed anew gets its own id, stable for what it replaces, still in the write\'s time order', () => {
  const hlc = new HybridClock('node-a', () => 1_763_000_000_000).tick();
  const first = changeIdOf('node-a', hlc);
  const anew = changeIdOf('node-a', hlc, first);
  assert.notEqual(anew, first);
  assert.equal(changeIdOf('node-a', hlc, first), anew);
  assert.notEqual(changeIdOf('node-a', hlc, anew), anew, 'and again: another one');
  assert.notEqual(changeIdOf('node-a', hlc, anew), first);
  assert.equal(anew.slice(0, 18), first.slice(0, 18), 'same clock part: the hub\'s index stays time-ordered');
  assert.ok(z.uuid().safeParse(anew).success, anew);
  assert.equal(changeIdOf('node-a', hlc), first, 'the plain id is unchanged by having made one that replaces it');
});

test('the layout does not drift: ids already in hubs\' logs come out the same (values from the first implementation)', () => {
  const known: Array<[string, string, string]> = [
    ['node-a', '001763000000000-000000-node-a', '019a7afd-1e00-8000-8008-4054d9d46b25'],
    ['node-a', '001763000000123-000042-node-b', '019a7afd-1e7b-8000-82a9-ca18fca7dec5'],
    ['pusher-1', '001999999999999-999999-writer_9', '01d1a94a-1fff-8f42-83f4-186100efa552'],
    ['node-a', '999999999999999-999999-node-a', '8067850e-9897-85e8-9d93-88ecfbe19a46'],
  ];
  for (const [pusher, hlc, id] of known) assert.equal(changeIdOf(pusher, hlc), id, hlc);
  assert.throws(() => changeIdOf('node-a', 'not-a-clock'));
});
