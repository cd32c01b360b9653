import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startNodeProcess, type RunningNode } from '../support/processes';
import type { SyncCycleResult } from '../../shared/api/sync';
import type { SyncStatus } from '../../shared/domain/sync-status';
import type { QueueStats } from '../../shared/domain/queue';
import type { Agent, Page } from '../../shared/domain/records';
import { startTestHub, waitFor, type TestHub } from './support';

/** Real `outpost node` processes (the CLI from source) against one real hub. */
let hub: TestHub;
const nodes: RunningNode[] = [];

before(async () => {
  hub = await startTestHub();
});
after(async () => {
  for (const n of nodes) {
    await n.stop('SIGKILL');
    rmSync(n.dataDir, { recursive: true, force: true });
  }
  await hub?.destroy();
});

async function node(name: string, dataDir?: string): Promise<RunningNode> {
  const enrolled = dataDir ? null : await hub.enroll(name);
  const started = await startNodeProcess({ name, ...(dataDir ? { dataDir } : {}), hub: { url: hub.url, token: enrolled?.token ?? tokens.get(dataDir!)! } });
  if (enrolled) tokens.set(started.dataDir, enrolled.token);
  nodes.push(started);
  await started.call('settings.set', { sync: { mode: 'manual' } });
  return started;
}
const tokens = new Map<string, string>();
let beta: RunningNode | null = null;

const syncNow = (n: RunningNode) => n.call<SyncCycleResult>('sync.now');

test('three nodes: what one writes the others read, parents before children', async () => {
  const [a, b, c] = [await node('alpha'), await node('beta'), await node('gamma')];
  beta = b;
  await a.call('agents.create', { id: 'ag-1', name: 'Planner', type: 'llm', config: { model: 'x' } });
  await a.call('workflows.create', { id: 'wf-1', name: 'Plan', agentId: 'ag-1', status: 'critical' });
  await a.call('executions.create', { id: 'ex-1', workflowId: 'wf-1' });
  const pushed = await syncNow(a);
  assert.equal(pushed.pushed, 3);
  for (const reader of [b, c]) {
    const pulled = await syncNow(reader);
    assert.equal(pulled.pulled, 3);
    assert.equal((await reader.call<Agent>('agents.get', { id: 'ag-1' })).name, 'Planner');
    const executions = await reader.call<Page<{ id: string }>>('executions.list', { workflowId: 'wf-1' });
    assert.deepEqual(executions.items.map((e) => e.id), ['ex-1']);
  }
  // the critical workflow (priority 10) still went after the agent it depends on
  const res = await fetch(`${hub.url}/v1/pull?since=0&limit=100`, { headers: { authorization: `Bearer ${tokens.get(b.dataDir)!}` } });
  const order = ((await res.json()) as { changes: Array<{ recordId: string }> }).changes.map((ch) => ch.recordId);
  assert.deepEqual(order, ['ag-1', 'wf-1', 'ex-1']);
  const fromB = await b.call<Agent>('agents.get', { id: 'ag-1' });
  await b.call('agents.update', { id: 'ag-1', expectedVersion: fromB.version, patch: { status: 'running' } });
  await syncNow(b);
  await syncNow(c);
  await syncNow(a);
  assert.equal((await c.call<Agent>('agents.get', { id: 'ag-1' })).status, 'running');
  assert.equal((await a.call<Agent>('agents.get', { id: 'ag-1' })).status, 'running');
  const status = await a.call<SyncStatus>('sync.status');
  assert.equal(status.state, 'idle');
  assert.ok(status.bytes.wire > 0);
});

test('a node killed with SIGKILL mid-sync loses nothing and duplicates nothing', async () => {
  const writer = await node('crashy');
  const reader = beta ?? (await node('watcher'));
  await writer.call('settings.set', { sync: { batchSize: 10 } });
  const ids = Array.from({ length: 600 }, (_, i) => `crash-${i}`);
  for (let i = 0; i < ids.length; i += 20) {
    await Promise.all(ids.slice(i, i + 20).map((id) => writer.call('agents.create', { id, name: id, type: 'llm', config: { pad: 'y'.repeat(300) } })));
  }
  void syncNow(writer).catch(() => undefined);
  await waitFor(async () => (await writer.call<QueueStats>('queue.stats')).byStatus.completed > 0, 30_000, 'some batches acked');
  await writer.stop('SIGKILL');
  const restarted = await node('crashy', writer.dataDir);
  await waitFor(async () => {
    await syncNow(restarted).catch(() => undefined);
    return (await restarted.call<SyncStatus>('sync.status')).pending === 0;
  }, 60_000, 'the restarted node to drain its queue');
  const counts = new Map<string, number>();
  let since = 0;
  for (;;) {
    const res = await fetch(`${hub.url}/v1/pull?since=${since}&limit=5000`, { headers: { authorization: `Bearer ${tokens.get(reader.dataDir)!}` } });
    const page = (await res.json()) as { changes: Array<{ recordId: string }>; cursor: number; hasMore: boolean };
    for (const c of page.changes) counts.set(c.recordId, (counts.get(c.recordId) ?? 0) + 1);
    since = page.cursor;
    if (!page.hasMore) break;
  }
  for (const id of ids) assert.equal(counts.get(id), 1, `${id} on the hub exactly once`);
  await syncNow(reader);
  const page = await reader.call<Page<Agent>>('agents.list', { search: 'crash-', limit: 1 });
  assert.equal(page.total, ids.length);
});
