import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestHub, waitFor, type TestHub } from './support';
import { startTestNode, type TestNode } from './harness';
import { MAX_CLOCK_AHEAD_MS, decodeHlc } from '../../shared/sync/hlc';

/**
 * A node whose wall clock runs hours ahead would win every last-writer-wins decision while it does. The hub
 * refuses its changes; the node keeps them queued (no attempt counted, nothing failed), says its clock is wrong,
 * and once the clock is set right it re-stamps them and they sync.
 */
let hub: TestHub;
let skewed: TestNode;
let honest: TestNode;
let aheadMs = 3 * 3_600_000;

before(async () => {
  hub = await startTestHub();
  const ts = await hub.enroll('skewed', 'node-skewed');
  const th = await hub.enroll('honest', 'node-honest');
  skewed = await startTestNode({ nodeId: 'node-skewed', hub: { url: hub.url, token: ts.token }, now: () => Date.now() + aheadMs });
  honest = await startTestNode({ nodeId: 'node-honest', hub: { url: hub.url, token: th.token } });
  await waitFor(() => skewed.host.status().state === 'idle' && honest.host.status().state === 'idle', 20_000, 'both nodes idle');
});
after(async () => {
  await skewed?.destroy();
  await honest?.destroy();
  await hub?.destroy();
});

test('a node three hours ahead is refused by the hub, keeps its write queued and says its clock is wrong; set right, it syncs', { timeout: 120_000 }, async () => {
  skewed.store.createAgent({ id: 'skewed-1', name: 'from the future', type: 'llm' });
  assert.ok(decodeHlc(skewed.store.getAgent('skewed-1').hlc).wallMs > Date.now() + 2 * 3_600_000);
  const refused = await skewed.host.syncNow();
  assert.equal(refused.pushed, 0);
  assert.equal(refused.failed, 0, 'a refusal about the clock fails no change');
  const status = skewed.host.status();
  assert.equal(status.state, 'error');
  assert.match(status.lastError ?? '', /clock runs 180 min ahead of the hub's/);
  assert.equal(status.pending, 1);
  assert.equal(status.failed, 0);
  const [item] = skewed.store.listQueue({ limit: 10 }).items;
  assert.equal(item?.attempts, 0, 'no attempt counted: the change itself is fine');
  await honest.host.syncNow();
  assert.throws(() => honest.store.getAgent('skewed-1'), 'nothing reached the other node');

  aheadMs = 0; // set right
  const synced = await waitFor(async () => ((await skewed.host.syncNow()).pushed === 1 ? true : null), 90_000, 'the held write syncs once the clock is right');
  assert.ok(synced);
  const stamp = decodeHlc(skewed.store.getAgent('skewed-1').hlc).wallMs;
  assert.ok(stamp <= Date.now() + MAX_CLOCK_AHEAD_MS, 're-stamped from the corrected clock');
  assert.notEqual(skewed.host.status().state, 'error');
  assert.equal(skewed.host.status().lastError, null);
  await honest.host.syncNow();
  assert.equal(honest.store.getAgent('skewed-1').name, 'from the future');
});
