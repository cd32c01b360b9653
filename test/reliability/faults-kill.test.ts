/**
 * SIGKILL at random points of a sync: the hub's PostgreSQL, the hub, and the node's sync worker, again and
 * again while a node pushes hundreds of writes in small batches (a real hub process on a real PostgreSQL
 * cluster, a real `outpost node` process). Afterwards the checker finds every acknowledged write on the hub
 * exactly once, as written. A kill is counted once the process is seen gone; the figures are recorded only if
 * every test passed.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startNodeProcess, type RunningNode } from '../support/processes';
import { enrollNode, hubRequest } from '../../server/test-support/hub-client';
import { waitFor } from '../sync/support';
import type { SyncStatus } from '../../shared/domain/sync-status';
import type { Agent } from '../../shared/domain/records';
import { childPids, seededRandom, startClusterHub, type ClusterHub } from './cluster';
import { startKillablePostgres, type KillablePostgres } from './postgres';
import { domainOf, lostWrites, readHubLog, recordKey, type AckedWrite } from './checker';
import { trackedSuite } from './figures';

const SEED = Number(process.env.OUTPOST_FAULTS_SEED ?? Date.now() % 1_000_000);
const random = seededRandom(SEED);
const suite = trackedSuite('faults-kill', 'faults: SIGKILL of PostgreSQL, hub and worker mid-sync');
let pg: KillablePostgres;
let hub: ClusterHub;
let node: RunningNode;
let observerToken: string;
const started = Date.now();
const faults: Record<string, number> = {};
const fault = (kind: string) => (faults[kind] = (faults[kind] ?? 0) + 1);
const acked = new Map<string, Agent>();
/** what the checker found at the end: undefined until it ran */
let checked: { lost: number; duplicates: number } | undefined;

before(async () => {
  pg = await startKillablePostgres();
  hub = await startClusterHub({ databaseUrl: pg.url });
  observerToken = (await enrollNode(hub.url, hub.adminToken, 'observer', 'observer')).token;
  const writer = await enrollNode(hub.url, hub.adminToken, 'writer', 'writer');
  node = await startNodeProcess({ name: 'writer', hub: { url: hub.url, token: writer.token } });
  await node.call('settings.set', { sync: { mode: 'manual', batchSize: 15, maxAttempts: 100 } });
});
after(async () => {
  await node?.stop('SIGKILL');
  if (node) rmSync(node.dataDir, { recursive: true, force: true });
  await hub?.kill();
  if (hub) rmSync(hub.dataDir, { recursive: true, force: true });
  pg?.destroy();
  suite.finish(() => {
    if (!checked) throw new Error('the checker did not run');
    return { faults, writesAcknowledged: acked.size, writesLost: checked.lost, duplicates: checked.duplicates, durationMs: Date.now() - started, notes: { seed: SEED } };
  });
});

async function writeMany(prefix: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 25) {
    const batch = Array.from({ length: Math.min(25, n - i) }, (_, k) => `${prefix}-${i + k}`);
    const agents = await Promise.all(batch.map((id) => node.call<Agent>('agents.create', { id, name: id, type: 'llm', config: { pad: 'p'.repeat(200) } })));
    for (const a of agents) acked.set(a.id, a);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const syncInBackground = () => void node.call('sync.now').catch(() => undefined);

suite.test(`PostgreSQL SIGKILLed at random points of a sync, then restarted (seed ${SEED})`, { timeout: 120_000 }, async () => {
  await writeMany('pg', 240);
  for (let round = 0; round < 4; round++) {
    syncInBackground();
    await sleep(50 + random() * 600);
    pg.kill();
    assert.equal(pg.running(), false, 'PostgreSQL is gone');
    fault('SIGKILL PostgreSQL mid-sync');
    // writes go on locally while the hub's database is away
    await writeMany(`pg-down-${round}`, 10);
    const health = await hubRequest(hub.url, '/health');
    assert.equal(health.status, 503, 'the hub reports its database away');
    await sleep(random() * 1500);
    pg.start();
  }
  await waitFor(async () => (await hubRequest(hub.url, '/health')).status === 200, 30_000, 'the hub to reconnect');
});

suite.test('the hub SIGKILLed at random points of a sync, then restarted on the same port', { timeout: 120_000 }, async () => {
  await writeMany('hub', 150);
  for (let round = 0; round < 3; round++) {
    syncInBackground();
    await sleep(100 + random() * 800);
    await hub.kill();
    assert.equal(hub.running(), false, 'the hub is gone');
    fault('SIGKILL hub mid-sync');
    await writeMany(`hub-down-${round}`, 10);
    await hub.restart();
  }
});

suite.test("the node's sync worker SIGKILLed at random points of a sync; the node restarts it", { timeout: 120_000 }, async () => {
  await writeMany('worker', 150);
  for (let round = 0; round < 4; round++) {
    syncInBackground();
    await sleep(100 + random() * 700);
    const workers = childPids(node.process.pid!);
    for (const pid of workers) process.kill(pid, 'SIGKILL');
    if (workers.length) {
      await waitFor(() => workers.every((pid) => !childPids(node.process.pid!).includes(pid)), 10_000, 'the killed worker to be gone');
      fault('SIGKILL sync worker mid-sync');
    }
    await sleep(300);
  }
  assert.ok(faults['SIGKILL sync worker mid-sync']! > 0, 'a worker was found and killed');
});

suite.test('afterwards: every acknowledged write is on the hub exactly once, with the data written', { timeout: 120_000 }, async () => {
  await waitFor(async () => {
    await node.call('queue.retry', {});
    await node.call('sync.now').catch(() => undefined);
    const status = await node.call<SyncStatus>('sync.status');
    return status.pending === 0 && status.failed === 0;
  }, 90_000, 'the node to drain its queue');
  const log = await readHubLog(hub.url, observerToken);
  const writes: AckedWrite[] = [...acked.values()].map((a) => ({ node: 'writer', table: 'agents', recordId: a.id, vv: a.vv, data: domainOf('agents', a as unknown as Record<string, unknown>) }));
  const lost = await lostWrites([{ name: 'writer', call: (m, i) => node.call(m, i) }], log, writes);
  checked = { lost: lost.length, duplicates: log.duplicateChangeIds.length + log.duplicateWrites.length };
  assert.deepEqual(log.duplicateChangeIds, [], 'no change id twice');
  assert.deepEqual(log.duplicateWrites, [], 'no write logged twice');
  assert.deepEqual(lost, [], 'every acknowledged write reached the hub, as written');
  assert.equal(log.changes, acked.size, 'one log entry per write');
  for (const [id, agent] of acked) assert.deepEqual(log.records.get(recordKey('agents', id))!.vv, agent.vv, `${id} as written`);
});
