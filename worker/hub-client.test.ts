import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { encodeHlc } from '../shared/sync/hlc';
import type { WireChange } from '../shared/sync/wire';
import { HubClient, HubError, parseRetryAfter } from './hub-client';
import { startFaultProxy, startTestHub, type FaultProxy, type TestHub } from '../test/sync/support';

let hub: TestHub;
let proxy: FaultProxy;
let tokenA: string;
let tokenB: string;
const bytes = { raw: 0, wire: 0 };

before(async () => {
  hub = await startTestHub();
  proxy = await startFaultProxy(hub.url);
  tokenA = (await hub.enroll('a', 'node-a')).token;
  tokenB = (await hub.enroll('b', 'node-b')).token;
});
after(async () => {
  await proxy.close();
  await hub.destroy();
});

const client = (token: string, url = proxy.url, timeoutMs = 5000) =>
  new HubClient({ baseUrl: url, token, timeoutMs, compressionThresholdBytes: 1024, onBytes: (b) => ((bytes.raw += b.raw), (bytes.wire += b.wire)) });

let tick = 0;
function change(recordId: string, data: Record<string, unknown>, n = 1): WireChange {
  return {
    changeId: randomUUID(),
    table: 'agents',
    recordId,
    hlc: encodeHlc({ wallMs: Date.now(), counter: tick++, nodeId: 'node-a' }),
    vv: { 'node-a': n },
    nodeId: 'node-a',
    op: 'upsert',
    priority: 5,
    baseVv: n > 1 ? { 'node-a': n - 1 } : null,
    data: data as WireChange['data'],
  };
}

test('push then pull through the real hub, with gzip above the threshold and byte counts', async () => {
  const a = client(tokenA);
  const b = client(tokenB);
  const changes = Array.from({ length: 50 }, (_, i) => change(`agent-${i}`, { name: `agent ${i}`, notes: 'x'.repeat(100) }));
  bytes.raw = bytes.wire = 0;
  const pushed = await a.push({ changes });
  assert.equal(pushed.results.length, 50);
  assert.ok(pushed.results.every((r) => r.status === 'applied'));
  assert.ok(bytes.wire < bytes.raw / 2, `compressed: wire ${bytes.wire} vs raw ${bytes.raw}`);
  // a retried batch is not applied twice
  const again = await a.push({ changes });
  assert.ok(again.results.every((r) => r.status === 'duplicate'));
  const page = await b.pull(0, 1000);
  assert.equal(page.changes.length, 50);
  assert.equal(page.hasMore, false);
  const states = await b.records([{ table: 'agents', recordId: 'agent-3' }]);
  assert.equal(states[0]?.data?.name, 'agent 3');
  a.close();
  b.close();
});

test('failures are classified: 429 with Retry-After, 500, 401, offline, timeout', async () => {
  const a = client(tokenA);
  proxy.inject('/v1/pull', { kind: 'status', status: 429, retryAfter: '7' });
  await assert.rejects(a.pull(0, 10), (e: HubError) => e.kind === 'rate_limited' && e.retryAfterMs === 7000 && e.transient);
  proxy.inject('/v1/pull', { kind: 'status', status: 500 });
  await assert.rejects(a.pull(0, 10), (e: HubError) => e.kind === 'server' && e.transient);
  await assert.rejects(client('node-a.wrongsecretwrongsecretwrongsecret').pull(0, 10), (e: HubError) => e.kind === 'auth' && !e.transient);
  await assert.rejects(client(tokenA, 'http://127.0.0.1:9').health(), (e: HubError) => e.kind === 'offline');
  proxy.inject('/v1/pull', { kind: 'hang' });
  await assert.rejects(client(tokenA, proxy.url, 300).pull(0, 10), (e: HubError) => e.kind === 'timeout');
  a.close();
});

test('a truncated, malformed or non-JSON answer is refused', async () => {
  const a = client(tokenA);
  proxy.inject('/v1/pull', { kind: 'truncate' });
  await assert.rejects(a.pull(0, 1000), (e: HubError) => e.kind === 'network' || e.kind === 'malformed');
  proxy.inject('/v1/pull', { kind: 'malformed' });
  await assert.rejects(a.pull(0, 1000), (e: HubError) => e.kind === 'malformed');
  proxy.inject('/v1/push', { kind: 'garbage' });
  await assert.rejects(a.push({ changes: [change('agent-x', { name: 'x' })] }), (e: HubError) => e.kind === 'malformed');
  a.close();
});

test('Retry-After parses seconds and HTTP dates, capped at an hour', () => {
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter(new Date(10_000 + 5000).toUTCString(), 10_000), 5000);
  assert.equal(parseRetryAfter('999999'), 3_600_000);
  assert.equal(parseRetryAfter('soon'), null);
});
