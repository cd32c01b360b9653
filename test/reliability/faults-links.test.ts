/**
 * Every link fault of the chaos proxy, one at a time and then mixed, between a real `outpost node` process
 * and a real hub process, while the node pushes and pulls. The `reset` and `truncate` faults cut the answer
 * after the hub applied the push (the lost acknowledgement): the node must retry without applying twice.
 * Also the HTTP-level faults of the sync engineer's proxy (500/429/503 storms, answers dropped after the hub
 * applied them) in front of the same hub. After each fault, once healed, the checker finds every
 * acknowledged write on the hub exactly once, as written, and the node holds what the other node wrote.
 * Faults are counted as the proxies report them fired; the figures are recorded only if every test passed.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startNodeProcess, type RunningNode } from '../support/processes';
import { enrollNode, hubRequest, makeChange } from '../../server/test-support/hub-client';
import { startFaultProxy, waitFor, type Fault, type FaultProxy } from '../sync/support';
import type { Agent } from '../../shared/domain/records';
import type { SyncStatus } from '../../shared/domain/sync-status';
import { LINK_FAULTS, startChaosProxy, type ChaosProxy } from './chaos-proxy';
import { seededRandom, startClusterHub, type ClusterHub } from './cluster';
import { convergenceProblems, domainOf, lostWrites, readHubLog, type AckedWrite, type CheckedNode } from './checker';
import { trackedSuite } from './figures';

const SEED = Number(process.env.OUTPOST_FAULTS_SEED ?? Date.now() % 1_000_000);
const random = seededRandom(SEED);
const suite = trackedSuite('faults-links', 'faults: link faults (TCP and HTTP level)');
let hub: ClusterHub;
let chaos: ChaosProxy;
let http: FaultProxy;
let node: RunningNode;
let other: { nodeId: string; token: string };
let observerToken: string;
const writes: AckedWrite[] = [];
const started = Date.now();
/** HTTP faults that fired, by kind (the TCP-level ones are counted by the chaos proxy) */
const httpFaults: Record<string, number> = {};
/** what the checker found after the last convergence: undefined until it ran */
let lastCheck: { lost: number; duplicates: number } | undefined;

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
  const linkFaults = Object.fromEntries(Object.entries(chaos?.faults ?? {}).map(([kind, n]) => [`link: ${kind}`, n]));
  const connections = chaos?.connections ?? 0;
  await node?.stop('SIGKILL');
  if (node) rmSync(node.dataDir, { recursive: true, force: true });
  await http?.close();
  await chaos?.close();
  await hub?.kill();
  if (hub) rmSync(hub.dataDir, { recursive: true, force: true });
  suite.finish(() => {
    if (!lastCheck) throw new Error('the checker did not run');
    return {
      faults: { ...httpFaults, ...linkFaults },
      writesAcknowledged: writes.length,
      writesLost: lastCheck.lost,
      duplicates: lastCheck.duplicates,
      durationMs: Date.now() - started,
      notes: { seed: SEED, 'connections through the chaos proxy': connections },
    };
  });
});

const checked = (): CheckedNode => ({ name: 'linky', call: (m, i) => node.call(m, i) });

let serial = 0;
async function writeSome(n: number): Promise<void> {
  const agents = await Promise.all(
    Array.from({ length: n }, () => node.call<Agent>('agents.create', { id: `l-${serial++}`, name: 'link', type: 'llm', config: { at: serial } })),
  );
  for (const a of agents) writes.push({ node: 'linky', table: 'agents', recordId: a.id, vv: a.vv, data: domainOf('agents', a as unknown as Record<string, unknown>) });
  // another node writes too, so every round also has something to pull
  const id = `o-${serial++}`;
  const data = { name: id, type: 'llm', status: 'active', config: {} };
  const r = await hubRequest<{ results: { status: string }[] }>(hub.url, '/v1/push', {
    token: other.token,
    json: { changes: [makeChange('other', id, { other: 1 }, { data })] },
  });
  assert.equal(r.status, 200);
  assert.equal(r.body.results[0]!.status, 'applied');
  writes.push({ node: 'other', table: 'agents', recordId: id, vv: { other: 1 }, data: domainOf('agents', data) });
}

async function syncSome(times: number): Promise<void> {
  for (let i = 0; i < times; i++) await node.call('sync.now').catch(() => undefined);
}

/**
 * With every fault healed: the node drains its queue, and the checker finds every acknowledged write on the
 * hub exactly once and as written, and the node holding exactly the hub's records (the other node's writes
 * pulled). Fails with what it found otherwise.
 */
async function convergedAndNothingLost(after: string): Promise<void> {
  await waitFor(async () => {
    await node.call('queue.retry', {});
    await node.call('sync.now').catch(() => undefined);
    const status = await node.call<SyncStatus>('sync.status');
    return status.pending === 0 && status.failed === 0;
  }, 90_000, `the node to drain its queue after ${after}`);
  await node.call('sync.now');
  const log = await readHubLog(hub.url, observerToken);
  const lost = await lostWrites([checked()], log, writes);
  const duplicates = [...log.duplicateChangeIds, ...log.duplicateWrites];
  lastCheck = { lost: lost.length, duplicates: duplicates.length };
  assert.deepEqual(lost, [], `after ${after}: nothing lost`);
  assert.deepEqual(duplicates, [], `after ${after}: nothing applied twice`);
  assert.equal(log.changes, writes.length, `after ${after}: one log entry per acknowledged write`);
  assert.deepEqual(await convergenceProblems([checked()], log, ['agents']), [], `after ${after}: the node holds what the hub holds`);
}

suite.test(`each link fault alone, at every connection for 3 s of a sync (seed ${SEED})`, { timeout: 300_000 }, async (t) => {
  for (const kind of LINK_FAULTS) {
    await writeSome(15);
    const firedBefore = chaos.faults[kind] ?? 0;
    const began = Date.now();
    chaos.setPolicy({ rate: 1, kinds: [kind], blackholeMs: 1500 });
    const syncing = syncSome(2);
    await new Promise((r) => setTimeout(r, 3000));
    chaos.heal();
    await syncing;
    const fired = (chaos.faults[kind] ?? 0) - firedBefore;
    t.diagnostic(`${kind}: fired ${fired} times; sync answered ${Date.now() - began} ms after the fault began`);
    assert.ok(fired > 0, `${kind}: the fault fired`);
    await convergedAndNothingLost(`${kind}`);
  }
});

suite.test('mixed link faults at 40% and partitions while writing and syncing', { timeout: 180_000 }, async () => {
  const firedBefore = Object.values(chaos.faults).reduce((a, b) => a + b, 0);
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
  assert.ok(Object.values(chaos.faults).reduce((a, b) => a + b, 0) > firedBefore, 'faults fired');
  await convergedAndNothingLost('mixed link faults');
});

suite.test('HTTP faults: 500/429/503 storms and answers dropped after the hub applied the push', { timeout: 180_000 }, async () => {
  const kinds: Fault[] = [
    { kind: 'status', status: 500 },
    { kind: 'status', status: 503, retryAfter: '1' },
    { kind: 'status', status: 429, retryAfter: '1' },
    { kind: 'drop-response' },
    { kind: 'truncate' },
    { kind: 'garbage' },
  ];
  for (const f of kinds) {
    const name = `http: ${f.kind}${f.kind === 'status' ? ` ${f.status}` : ''}`;
    await writeSome(10);
    const injected = 5;
    http.inject('/v1/push', f, 3);
    http.inject('/v1/pull', f, 2);
    // sync until every injected fault met a request (each sync pushes and pulls; a faulted one is retried)
    const deadline = Date.now() + 60_000;
    while (http.remaining() > 0 && Date.now() < deadline) await syncSome(1);
    const fired = injected - http.remaining();
    http.clear();
    httpFaults[name] = (httpFaults[name] ?? 0) + fired;
    assert.equal(fired, injected, `${name}: every injected fault fired`);
    await convergedAndNothingLost(name);
  }
});

suite.test("healed: every acknowledged write on the hub exactly once, and the node has the other node's writes", { timeout: 120_000 }, async () => {
  await convergedAndNothingLost('all faults');
  assert.ok(writes.some((w) => w.node === 'other') && writes.some((w) => w.node === 'linky'), 'both nodes wrote');
});
