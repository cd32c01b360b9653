import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultProxy, startTestHub, waitFor, type FaultProxy, type TestHub } from './support';
import { startTestNode, type TestNode } from './harness';

/**
 * Faults between a node and a real hub: every change must end up on the hub exactly once, nothing lost, and the
 * node must say what is going on (offline is a state; refused credentials are an error).
 */
let hub: TestHub;
let proxy: FaultProxy;
let reader: { nodeId: string; token: string };

before(async () => {
  hub = await startTestHub();
  proxy = await startFaultProxy(hub.url);
  reader = await hub.enroll('reader', 'reader');
});
after(async () => {
  await proxy?.close();
  await hub?.destroy();
});

/** The hub's change log as the reader pulls it: record id -> how many times it was logged. */
async function hubLog(url = hub.url): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let since = 0;
  for (;;) {
    const res = await fetch(`${url}/v1/pull?since=${since}&limit=5000`, { headers: { authorization: `Bearer ${reader.token}` } });
    const page = (await res.json()) as { changes: Array<{ recordId: string }>; cursor: number; hasMore: boolean };
    for (const c of page.changes) counts.set(c.recordId, (counts.get(c.recordId) ?? 0) + 1);
    since = page.cursor;
    if (!page.hasMore) return counts;
  }
}

async function syncUntilDrained(node: TestNode, tries = 30): Promise<void> {
  for (let i = 0; i < tries; i++) {
    try {
      await node.host.syncNow();
    } catch {
      // a failed cycle: the next one retries
    }
    if (node.host.status().pending === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`queue not drained: ${JSON.stringify(node.host.status())}`);
}

test('500 and 429 storms, a dropped answer, a garbage answer: every change on the hub exactly once', async () => {
  const writer = await hub.enroll('storm', 'storm');
  const node = await startTestNode({ nodeId: 'storm', hub: { url: proxy.url, token: writer.token }, settings: { sync: { batchSize: 40 } } });
  try {
    node.store.batch(() => {
      for (let i = 0; i < 200; i++) node.store.createAgent({ id: `storm-${i}`, name: `agent ${i}`, type: 'llm', config: { i } });
    });
    proxy.inject('/v1/push', { kind: 'status', status: 500 }, 3);
    proxy.inject('/v1/push', { kind: 'status', status: 429, retryAfter: '1' }, 2);
    proxy.inject('/v1/push', { kind: 'drop-response' }, 2); // applied by the hub, answer lost
    proxy.inject('/v1/push', { kind: 'garbage' }, 1); // applied by the hub, answer unreadable
    proxy.inject('/v1/push', { kind: 'hang' }, 1); // the request times out (5 s)
    await syncUntilDrained(node);
    assert.equal(proxy.remaining(), 0, 'every injected fault was hit');
    const log = await hubLog();
    const ours = [...log].filter(([id]) => id.startsWith('storm-'));
    assert.equal(ours.length, 200, 'every record reached the hub');
    assert.ok(ours.every(([, n]) => n === 1), `each exactly once: ${JSON.stringify(ours.filter(([, n]) => n !== 1))}`);
    assert.equal(node.host.status().failed, 0);
  } finally {
    proxy.clear();
    await node.destroy();
  }
});

test('a truncated or malformed pull answer is refused and nothing is applied', async () => {
  const writer = await hub.enroll('w2', 'w2');
  const w = await startTestNode({ nodeId: 'w2', hub: { url: hub.url, token: writer.token } });
  const readerNode = await hub.enroll('r2', 'r2');
  const r = await startTestNode({ nodeId: 'r2', hub: { url: proxy.url, token: readerNode.token } });
  try {
    w.store.createAgent({ id: 'pull-me', name: 'p', type: 'llm' });
    await w.host.syncNow();
    proxy.inject('/v1/pull', { kind: 'truncate' }, 4);
    await assert.rejects(r.host.syncNow());
    assert.equal(r.store.getCursor(), 0);
    assert.throws(() => r.store.getAgent('pull-me'));
    proxy.inject('/v1/pull', { kind: 'malformed' }, 4);
    await assert.rejects(r.host.syncNow());
    assert.equal(r.store.getCursor(), 0);
    proxy.clear();
    await r.host.syncNow();
    assert.equal(r.store.getAgent('pull-me').name, 'p');
  } finally {
    proxy.clear();
    await w.destroy();
    await r.destroy();
  }
});

test('the worker killed mid-push: leases released, worker restarted, the change pushed once', async () => {
  const writer = await hub.enroll('wk', 'wk');
  const node = await startTestNode({ nodeId: 'wk', hub: { url: proxy.url, token: writer.token }, host: { requestTimeoutMs: 20_000 } });
  try {
    node.store.batch(() => {
      for (let i = 0; i < 30; i++) node.store.createAgent({ id: `wk-${i}`, name: `n${i}`, type: 'llm' });
    });
    proxy.inject('/v1/push', { kind: 'hang' }, 1);
    const firstPid = node.host.workerPid!;
    const inFlight = node.host.syncNow();
    await waitFor(() => node.store.stats().byStatus.processing > 0, 10_000, 'a leased batch');
    process.kill(firstPid, 'SIGKILL');
    await assert.rejects(inFlight, (e: Error & { code?: string }) => e.code === 'unavailable');
    assert.equal(node.store.stats().byStatus.processing, 0, 'leases released at once');
    await waitFor(() => node.host.workerPid && node.host.workerPid !== firstPid && node.host.status().state === 'idle', 15_000, 'restarted worker');
    await syncUntilDrained(node);
    const log = await hubLog();
    for (let i = 0; i < 30; i++) assert.equal(log.get(`wk-${i}`), 1);
  } finally {
    proxy.clear();
    await node.destroy();
  }
});

test('a revoked token stops sync with a clear error state', async () => {
  const enrolled = await hub.enroll('revoked', 'revoked');
  const node = await startTestNode({ nodeId: 'revoked', hub: { url: hub.url, token: enrolled.token } });
  try {
    await waitFor(() => node.host.status().state === 'idle', 10_000, 'idle');
    await hub.auth.revokeNode('revoked');
    node.store.createAgent({ id: 'never', name: 'n', type: 'llm' });
    await assert.rejects(node.host.syncNow(), (e: Error & { code?: string }) => e.code === 'unauthorized');
    const status = node.host.status();
    assert.equal(status.state, 'error');
    assert.match(status.lastError ?? '', /refused/);
    assert.equal(status.pending, 1, 'the change is kept');
  } finally {
    await node.destroy();
  }
});

test('quit mid-batch: the in-flight batch gets its deadline, then its leases go back to pending', async () => {
  const writer = await hub.enroll('quitter', 'quitter');
  const node = await startTestNode({ nodeId: 'quitter', hub: { url: proxy.url, token: writer.token }, host: { shutdownDeadlineMs: 500, requestTimeoutMs: 20_000 } });
  try {
    node.store.batch(() => {
      for (let i = 0; i < 10; i++) node.store.createAgent({ id: `q-${i}`, name: `q${i}`, type: 'llm' });
    });
    proxy.inject('/v1/push', { kind: 'hang' }, 1);
    const inFlight = node.host.syncNow().catch((e: Error) => e);
    await waitFor(() => node.store.stats().byStatus.processing > 0, 10_000, 'a leased batch');
    const started = Date.now();
    await node.host.stop();
    assert.ok(Date.now() - started < 5000, 'quit does not wait for the hung request');
    assert.ok((await inFlight) instanceof Error);
    const stats = node.store.stats();
    assert.equal(stats.byStatus.processing, 0);
    assert.equal(stats.byStatus.pending, 10);
  } finally {
    proxy.clear();
    await node.destroy();
  }
});

test('a 4xx answer is not retried blindly: the batch is split until the refused change stands alone, which fails with the error', async () => {
  const writer = await hub.enroll('picky', 'picky');
  const node = await startTestNode({ nodeId: 'picky', hub: { url: proxy.url, token: writer.token } });
  try {
    node.store.batch(() => {
      for (let i = 0; i < 4; i++) node.store.createAgent({ id: `picky-${i}`, name: `p${i}`, type: 'llm' });
    });
    proxy.inject('/v1/push', { kind: 'status', status: 400 }, 3);
    const result = await node.host.syncNow();
    assert.equal(proxy.remaining(), 0);
    assert.equal(result.failed, 1);
    assert.equal(result.pushed, 3);
    const failed = node.store.listQueue({ status: 'failed' }).items;
    assert.equal(failed.length, 1);
    assert.match(failed[0]!.errorMessage ?? '', /400/);
  } finally {
    proxy.clear();
    await node.destroy();
  }
});

test('a change the hub keeps failing on reaches max attempts and fails; queue.retry sends it again', async () => {
  const writer = await hub.enroll('unlucky', 'unlucky');
  const node = await startTestNode({ nodeId: 'unlucky', hub: { url: proxy.url, token: writer.token }, settings: { sync: { maxAttempts: 2 } } });
  try {
    node.store.createAgent({ id: 'unlucky-1', name: 'u', type: 'llm' });
    proxy.inject('/v1/push', { kind: 'status', status: 500 }, 1000);
    await waitFor(async () => {
      await node.host.syncNow().catch(() => undefined);
      return node.host.status().failed === 1;
    }, 30_000, 'max attempts reached');
    assert.equal(node.host.status().pending, 0);
    proxy.clear();
    assert.equal(node.store.retry().retried, 1);
    const result = await node.host.syncNow();
    assert.equal(result.pushed, 1);
    assert.equal(node.host.status().failed, 0);
  } finally {
    proxy.clear();
    await node.destroy();
  }
});
