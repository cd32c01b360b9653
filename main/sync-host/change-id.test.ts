import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { HybridClock, encodeHlc } from '../../shared/sync/hlc';
import { wireChangeId } from './change-id';

test('one id per write: stable for the same HLC, distinct across writes and nodes, valid UUIDs', () => {
  const a = new HybridClock('node-a', () => 1_763_000_000_000);
  const b = new HybridClock('node-b', () => 1_763_000_000_000);
  const ids = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    for (const clock of [a, b]) {
      const hlc = clock.tick();
      const id = wireChangeId(clock.nodeId, hlc);
      assert.equal(wireChangeId(clock.nodeId, hlc), id);
      assert.ok(z.uuid().safeParse(id).success, id);
      ids.add(id);
    }
  }
  assert.equal(ids.size, 4000);
  const far = encodeHlc({ wallMs: 999_999_999_999_999, counter: 999_999, nodeId: 'node-a' });
  assert.ok(z.uuid().safeParse(wireChangeId('node-a', far)).success);
  assert.notEqual(wireChangeId('node-a', far), wireChangeId('node-b', encodeHlc({ wallMs: 999_999_999_999_999, counter: 999_999, nodeId: 'node-b' })));
});
