import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startHubProcess, startTestHub, waitFor, type TestHub } from './support';
import { startTestNode } from './harness';

let hub: TestHub;
before(async () => {
  hub = await startTestHub();
});
after(async () => {
  await hub?.destroy();
});

test('realtime: a write is pushed at once and the other node pulls on the hub event', async () => {
  const a = await startTestNode({ nodeId: 'rt-a', hub: { url: hub.url, token: (await hub.enroll('a', 'rt-a')).token }, settings: { sync: { mode: 'realtime' } } });
  const b = await startTestNode({ nodeId: 'rt-b', hub: { url: hub.url, token: (await hub.enroll('b', 'rt-b')).token }, settings: { sync: { mode: 'realtime' } } });
  try {
    await waitFor(() => a.host.status().state === 'idle' && b.host.status().state === 'idle', 15_000, 'idle');
    a.store.createAgent({ id: 'live-1', name: 'live', type: 'llm' });
    await waitFor(() => b.store.listAgents({}).items.find((x) => x.id === 'live-1'), 15_000, 'B to receive the write');
    b.store.updateAgent({ id: 'live-1', patch: { status: 'running' }, expectedVersion: b.store.getAgent('live-1').version });
    await waitFor(() => a.store.getAgent('live-1').status === 'running', 15_000, 'A to receive the update');
  } finally {
    await a.destroy();
    await b.destroy();
  }
});

test('auto pushes after the debounce; periodic pulls on its interval', async () => {
  const a = await startTestNode({ nodeId: 'au-a', hub: { url: hub.url, token: (await hub.enroll('a', 'au-a')).token }, settings: { sync: { mode: 'auto', debounceMs: 200 } } });
  const b = await startTestNode({ nodeId: 'pe-b', hub: { url: hub.url, token: (await hub.enroll('b', 'pe-b')).token }, settings: { sync: { mode: 'periodic', intervalMs: 1000 } } });
  try {
    for (let i = 0; i < 5; i++) a.store.createAgent({ id: `auto-${i}`, name: `a${i}`, type: 'llm' });
    await waitFor(() => a.host.status().pending === 0, 10_000, 'auto push');
    await waitFor(() => b.store.listAgents({}).items.filter((x) => x.id.startsWith('auto-')).length === 5, 10_000, 'periodic pull');
  } finally {
    await a.destroy();
    await b.destroy();
  }
});

test('an unreachable hub is the offline state, not an error', async () => {
  const port = await freePort();
  const node = await startTestNode({ nodeId: 'off', hub: { url: `http://127.0.0.1:${port}`, token: 'off.secretsecretsecretsecretsecret' }, settings: { sync: { mode: 'periodic' } } });
  try {
    await waitFor(() => node.host.status().state === 'offline', 10_000, 'offline');
    const status = node.host.status();
    assert.equal(status.lastError, null);
    assert.ok(status.nextAttemptAt, 'the next probe is shown');
  } finally {
    await node.destroy();
  }
});

test('hub killed mid-batch and restarted: the node goes offline, flushes on reconnect (manual mode too), each change once', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-hubproc-'));
  const port = await freePort();
  let hubProc = await startHubProcess({ dataDir, port });
  const writer = await hubProc.enroll('k', 'kill-w');
  const reader = await hubProc.enroll('r', 'kill-r');
  const node = await startTestNode({ nodeId: 'kill-w', hub: { url: hubProc.url, token: writer.token }, settings: { sync: { batchSize: 50 } } });
  try {
    node.store.batch(() => {
      for (let i = 0; i < 3000; i++) node.store.createAgent({ id: `k-${i}`, name: `agent ${i}`, type: 'llm', config: { i, pad: 'x'.repeat(200) } });
    });
    const cycle = node.host.syncNow();
    await waitFor(() => node.store.stats().byStatus.completed > 0, 30_000, 'some batches acked');
    await hubProc.kill('SIGKILL');
    await assert.rejects(cycle);
    await waitFor(() => node.host.status().state === 'offline', 15_000, 'offline');
    const left = node.host.status().pending;
    assert.ok(left > 0 && left < 3000, `mid-batch: ${left} left`);
    hubProc = await startHubProcess({ dataDir, port });
    await waitFor(() => node.host.status().pending === 0, 45_000, 'flush on reconnect');
    const seen = new Map<string, number>();
    let since = 0;
    for (;;) {
      const res = await fetch(`${hubProc.url}/v1/pull?since=${since}&limit=5000`, { headers: { authorization: `Bearer ${reader.token}` } });
      const page = (await res.json()) as { changes: Array<{ recordId: string }>; cursor: number; hasMore: boolean };
      for (const c of page.changes) seen.set(c.recordId, (seen.get(c.recordId) ?? 0) + 1);
      since = page.cursor;
      if (!page.hasMore) break;
    }
    assert.equal(seen.size, 3000);
    assert.ok([...seen.values()].every((n) => n === 1), 'each change logged exactly once');
  } finally {
    await node.destroy();
    await hubProc.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
