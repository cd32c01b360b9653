/**
 * Every link fault of the chaos proxy, one at a time and then mixed, between a real `outpost node` process
 * and a real hub process, while the node pushes and pulls. The `reset` and `truncate` faults cut the answer
 * after the hub applied the push (the lost acknowledgement): the node must retry without applying twice.
 * Also the HTTP-level faults of the sync engineer's proxy (500/429/503 storms, answers dropped after the hub
 * applied them) in front of the same hub. After healing, every acknowledged write is on the hub exactly once
 * and the node holds what the other node wrote.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startNodeProcess, type RunningNode } from '../support/processes';
import { enrollNode, hubRequest, makeChange } from '../../server/test-support/hub-client';
import { startFaultProxy, waitFor, type FaultProxy } from '../sync/support';
import type { Agent, Page } from '../../shared/domain/records';
import type { SyncStatus } from '../../shared/domain/sync-status';
import { LINK_FAULTS, startChaosProxy, type ChaosProxy } from './chaos-proxy';
import { seededRandom, startClusterHub, type ClusterHub } from './cluster';
import { readHubLog } from './checker';
import { recordFigures } from './figures';

const SEED = Number(process.env.OUTPOST_FAULTS_SEED ?? Date.now() % 1_000_000);
const random = seededRandom(SEED);
let hub: ClusterHub;
let chaos: ChaosProxy;
let http: FaultProxy;
let node: RunningNode;
let other: { nodeId: string; token: string };
let observerToken: string;
const acked = new Map<string, Agent>();
const otherWrites = new Set<string>();
const started = Date.now();
const faults: Record<string, number> = {};
let lost = 0;
let duplicates = 0;

before(async () => {
  hub = await startClusterHub();
  observerToken = (await enrollNode(hub.url, hub.adminToken, 'observer', 'observer')).token;
  other = await enrollNode(hub.url, hub.adminToken, 'other', 'other');
  const linky = await enrollNode(hub.url, hub.adminToken, 'linky', 'linky');
  // node -> HTTP fault proxy -> chaos proxy -> hub: both layers of faults on one path
  chaos = await startChaosProxy(hub.port, random);
  http = await startFaultProxy(chaos.url);
  node = await startNodeProcess({ name: 'linky', hub: { url: http.url, token: linky.token } });
  await node.call('settings.set', { sync: { mode: 'manual', batchSize: 10, maxAttempts: 100 } });
});
after(async () => {
  await node?.stop('SIGKILL');
  if (node) rmSync(node.dataDir, { recursive: true, force: true });
  await http?.close();
  await chaos?.close();
  await hub?.kill();
  if (hub) rmSync(hub.dataDir, { recursive: true, force: true });
  for (const [kind, n] of Object.entries(chaos?.faults ?? {})) faults[`link: ${kind}`] = (faults[`link: ${kind}`] ?? 0) + n;
  recordFigures('faults-links', {
    title: 'faults: link faults (TCP and HTTP level)',
    faults,
    writesAcknowledged: acked.size,
    writesLost: lost,
    duplicates,
    durationMs: Date.now() - started,
    notes: { seed: SEED, 'connections through the chaos proxy': chaos?.connections ?? 0 },
  });
});

let serial = 0;
async function writeSome(n: number): Promise<void> {
  const agents = await Promise.all(
    Array.from({ length: n }, () => node.call<Agent>('agents.create', { id: `l-${serial++}`, name: 'link', type: 'llm', config: { at: serial } })),
  );
  for (const a of agents) acked.set(a.id, a);
  // another node writes too, so every round also has something to pull
  const id = `o-${serial++}`;
  const r = await hubRequest(hub.url, '/v1/push', {
    token: other.token,
    json: { changes: [makeChange('other', id, { other: 1 }, { data: { name: id, type: 'llm', status: 'active', config: {} } })] },
  });
  assert.equal(r.status, 200);
  otherWrites.add(id);
}

async function syncSome(times: number): Promise<void> {
  for (let i = 0; i < times; i++) await node.call('sync.now').catch(() => undefined);
}

test(`each link fault alone, at every connection for 3 s of a sync (seed ${SEED})`, { timeout: 150_000 }, async (t) => {
  for (const kind of LINK_FAULTS) {
    await writeSome(15);
    const began = Date.now();
    chaos.setPolicy({ rate: 1, kinds: [kind], blackholeMs: 1500 });
    const syncing = syncSome(2);
    await new Promise((r) => setTimeout(r, 3000));
    chaos.heal();
    await syncing;
    t.diagnostic(`${kind}: sync answered ${Date.now() - began} ms after the fault began`);
  }
});

test('mixed link faults at 40% and partitions while writing and syncing', { timeout: 120_000 }, async () => {
  chaos.setPolicy({ rate: 0.4, blackholeMs: 1500 });
  for (let round = 0; round < 6; round++) {
    await writeSome(10);
    if (random() < 0.5) {
      chaos.partition(true);
      await syncSome(1);
      chaos.partition(false);
    }
    await syncSome(2);
  }
  chaos.heal();
});

test('HTTP faults: 500/429/503 storms and answers dropped after the hub applied the push', { timeout: 120_000 }, async () => {
  const kinds = [
    { kind: 'status', status: 500 },
    { kind: 'status', status: 503, retryAfter: '1' },
    { kind: 'status', status: 429, retryAfter: '1' },
    { kind: 'drop-response' },
    { kind: 'truncate' },
    { kind: 'garbage' },
  ] as const;
  for (const f of kinds) {
    await writeSome(10);
    http.inject('/v1/push', f, 3);
    http.inject('/v1/pull', f, 2);
    faults[`http: ${f.kind}${'status' in f ? ` ${f.status}` : ''}`] = 5;
    await syncSome(3);
    http.clear();
  }
});

test('healed: every acknowledged write on the hub exactly once, and the node has the other node\'s writes', { timeout: 120_000 }, async () => {
  await waitFor(async () => {
    await node.call('queue.retry', {});
    await node.call('sync.now').catch(() => undefined);
    const status = await node.call<SyncStatus>('sync.status');
    return status.pending === 0 && status.failed === 0;
  }, 90_000, 'the node to drain its queue');
  await node.call('sync.now');
  const log = await readHubLog(hub.url, observerToken);
  duplicates = log.duplicateChangeIds.length + log.duplicateWrites.length;
  assert.deepEqual(log.duplicateChangeIds, []);
  assert.deepEqual(log.duplicateWrites, []);
  const missing = [...acked.keys()].filter((id) => !log.records.has(id));
  lost = missing.length;
  assert.deepEqual(missing, []);
  assert.equal(log.changes, acked.size + otherWrites.size, 'one log entry per write');
  const page = await node.call<Page<Agent>>('agents.list', { limit: 1000 });
  const here = new Set(page.items.map((a) => a.id));
  assert.deepEqual([...otherWrites].filter((id) => !here.has(id)), [], 'everything the other node wrote was pulled');
  assert.equal(page.total, acked.size + otherWrites.size);
});
