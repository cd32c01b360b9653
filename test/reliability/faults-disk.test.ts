/**
 * A full disk under the edge database, and a corrupt settings file.
 *
 * Disk full: the node's edge.db lives on a small tmpfs (a symlink from the data folder; SQLite follows it and
 * keeps its WAL next to the real file), which is then filled up until the file system answers ENOSPC. Local
 * writes must fail with `storage_full` (HTTP 507) and a message a person can act on, nothing already
 * acknowledged may be lost, and once space is back the node writes and syncs again. Mounting the tmpfs needs
 * root on Linux (CI runs so); where it cannot be mounted the test fails and says why: it does not pass without
 * having filled a disk.
 *
 * Corrupt settings: garbage and schema-invalid settings.json are moved aside, the node starts on defaults
 * (the CLI's --hub restores the hub), and the data is intact.
 *
 * The checker counts what was lost or applied twice; the figures are recorded only if every test passed.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNodeProcess, type RunningNode } from '../support/processes';
import { enrollNode } from '../../server/test-support/hub-client';
import { waitFor } from '../sync/support';
import type { Agent } from '../../shared/domain/records';
import type { SyncStatus } from '../../shared/domain/sync-status';
import { startClusterHub, type ClusterHub } from './cluster';
import { domainOf, lostWrites, readHubLog, recordKey, type AckedWrite, type CheckedNode } from './checker';
import { trackedSuite } from './figures';

const suite = trackedSuite('faults-disk', 'faults: full disk, corrupt settings');
let hub: ClusterHub;
let observerToken: string;
const started = Date.now();
const faults: Record<string, number> = {};
const fault = (kind: string) => (faults[kind] = (faults[kind] ?? 0) + 1);
const writes: AckedWrite[] = [];
/** what the checker found, per test that ran it: figures need both */
const checks = new Map<string, { lost: number; duplicates: number }>();
const cleanups: Array<() => unknown> = [];

before(async () => {
  hub = await startClusterHub();
  observerToken = (await enrollNode(hub.url, hub.adminToken, 'observer', 'observer')).token;
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await hub?.kill();
  if (hub) rmSync(hub.dataDir, { recursive: true, force: true });
  suite.finish(() => {
    if (checks.size < 2) throw new Error(`the checker ran in ${checks.size} of 2 tests`);
    const found = [...checks.values()];
    return {
      faults,
      writesAcknowledged: writes.length,
      writesLost: Math.max(...found.map((c) => c.lost)),
      duplicates: Math.max(...found.map((c) => c.duplicates)),
      durationMs: Date.now() - started,
    };
  });
});

interface NodeHandle extends CheckedNode {
  dataDir: string;
  restart(): Promise<void>;
}
interface DiskNode extends NodeHandle {
  /** fills the tmpfs under edge.db until the file system answers ENOSPC; returns the bytes written */
  fill(): number;
  free(): void;
}

/** Mounts a tmpfs of `size` at `dir`, or says why it could not. */
function mountTmpfs(dir: string, size: string): string | null {
  if (process.platform !== 'linux') return `this needs Linux to mount a tmpfs (platform ${process.platform})`;
  const uid = process.getuid?.();
  if (uid !== 0) return `mounting a tmpfs needs root (uid ${uid}): run this suite as root (CI does)`;
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.error) return `mount could not run: ${r.error.message}`;
  return r.status === 0 ? null : `mount -t tmpfs failed (${r.status}): ${(r.stderr ?? '').trim()} (no CAP_SYS_ADMIN in this container?)`;
}

/** Writes a filler file until the file system is full; a disk that never fills up is an error. */
function fillUp(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    return written;
  } finally {
    closeSync(fd);
  }
}

async function plainNode(name: string, dataDir: string, token: string): Promise<{ get(): RunningNode; restart(): Promise<void> }> {
  let proc = await startNodeProcess({ name, dataDir, hub: { url: hub.url, token } });
  cleanups.push(() => proc.stop('SIGKILL'));
  return {
    get: () => proc,
    async restart() {
      await proc.stop('SIGTERM');
      proc = await startNodeProcess({ name, dataDir, hub: { url: hub.url, token } });
    },
  };
}

async function openDiskNode(name: string): Promise<DiskNode> {
  const enrolled = await enrollNode(hub.url, hub.adminToken, name, name);
  const dataDir = mkdtempSync(join(tmpdir(), `outpost-rel-${name}-`));
  const mount = mkdtempSync(join(tmpdir(), `outpost-rel-tmpfs-`));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const why = mountTmpfs(mount, '6m');
  if (why) {
    rmSync(mount, { recursive: true, force: true });
    assert.fail(`cannot fill a disk under the edge database: ${why}`);
  }
  cleanups.push(() => {
    spawnSync('umount', ['-l', mount]);
    rmSync(mount, { recursive: true, force: true });
  });
  symlinkSync(join(mount, 'edge.db'), join(dataDir, 'edge.db'));
  const filler = join(mount, 'filler');
  const proc = await plainNode(name, dataDir, enrolled.token);
  return {
    name,
    dataDir,
    call: (m, i) => proc.get().call(m, i),
    restart: () => proc.restart(),
    fill: () => fillUp(filler),
    free: () => unlinkSync(filler),
  };
}

async function openNode(name: string): Promise<NodeHandle> {
  const enrolled = await enrollNode(hub.url, hub.adminToken, name, name);
  const dataDir = mkdtempSync(join(tmpdir(), `outpost-rel-${name}-`));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const proc = await plainNode(name, dataDir, enrolled.token);
  return { name, dataDir, call: (m, i) => proc.get().call(m, i), restart: () => proc.restart() };
}

const acked = (node: CheckedNode, a: Agent) => writes.push({ node: node.name, table: 'agents', recordId: a.id, vv: a.vv, data: domainOf('agents', a as unknown as Record<string, unknown>) });
const mine = (node: CheckedNode) => writes.filter((w) => w.node === node.name);

/** Every write `node` acknowledged is on it, as written (it may hold others' records too: it syncs with the hub). */
async function ownWritesIntact(node: CheckedNode, what: string): Promise<void> {
  for (const w of mine(node)) {
    const agent = await node.call<Agent>('agents.get', { id: w.recordId });
    assert.deepEqual(domainOf('agents', agent as unknown as Record<string, unknown>), w.data, `${what}: ${w.recordId} intact`);
  }
}

/** The checker on what `node` acknowledged: everything on the hub, as written, once. */
async function nothingLost(test: string, node: CheckedNode): Promise<void> {
  const log = await readHubLog(hub.url, observerToken);
  const lost = await lostWrites([node], log, mine(node));
  const duplicates = [...log.duplicateChangeIds, ...log.duplicateWrites];
  checks.set(test, { lost: lost.length, duplicates: duplicates.length });
  assert.deepEqual(lost, [], 'nothing acknowledged was lost');
  assert.deepEqual(duplicates, [], 'nothing was applied twice');
}

const DISK = 'a full disk under the edge database: 507 storage_full with a clear message, nothing lost, recovery';
suite.test(DISK, { timeout: 120_000 }, async () => {
  const node = await openDiskNode('disky');
  await node.call('settings.set', { sync: { mode: 'manual' } });
  for (let i = 0; i < 20; i++) acked(node, await node.call<Agent>('agents.create', { id: `before-${i}`, name: `before ${i}`, type: 'llm', config: { i } }));
  const filled = node.fill(); // returns only once the tmpfs answered ENOSPC
  assert.ok(filled > 0, 'the filler took the space left');
  let refused: (Error & { status?: number; code?: string }) | null = null;
  for (let i = 0; i < 400 && !refused; i++) {
    try {
      // it may still fit (free pages in the file): then it is acknowledged, so it must survive
      acked(node, await node.call<Agent>('agents.create', { id: `during-${i}`, name: `during ${i}`, type: 'llm', config: { pad: 'z'.repeat(8000) } }));
    } catch (error) {
      refused = error as Error & { status?: number; code?: string };
    }
  }
  assert.ok(refused, 'a write was refused once the disk was full');
  assert.equal(refused.status, 507, refused.message);
  assert.equal(refused.code, 'storage_full');
  assert.match(refused.message, /disk is full|free some space/i);
  fault('disk full (tmpfs)');
  // reads still work, and nothing acknowledged is gone
  await ownWritesIntact(node, 'after the disk filled');
  assert.equal((await node.call<{ nodeId: string }>('app.info', {})).nodeId, 'disky');

  node.free();
  acked(node, await node.call<Agent>('agents.create', { id: 'after-1', name: 'after', type: 'llm', config: { pad: 'z'.repeat(8000) } }));
  await waitFor(async () => {
    await node.call('sync.now').catch(() => undefined);
    return (await node.call<SyncStatus>('sync.status')).pending === 0;
  }, 60_000, 'the node to push everything once space is back');
  await nothingLost(DISK, node);
});

const SETTINGS = 'a corrupt settings file is moved aside; the node starts on defaults with its data intact';
suite.test(SETTINGS, { timeout: 180_000 }, async () => {
  const node = await openNode('settingsy');
  for (let i = 0; i < 10; i++) acked(node, await node.call<Agent>('agents.create', { id: `s-${i}`, name: `s ${i}`, type: 'llm', config: { i } }));
  const settingsFile = join(node.dataDir, 'settings.json');
  for (const [kind, content] of [
    ['settings: not JSON', '{"sync": {"mode": "auto", '],
    ['settings: invalid values', JSON.stringify({ sync: { mode: 'warp', batchSize: -4 }, unknown: { x: 1 } })],
    ['settings: binary garbage', Buffer.from([0, 255, 254, 1, 2, 3]).toString('latin1')],
  ] as const) {
    await node.call('settings.set', { sync: { mode: 'auto' }, node: { name: 'custom-name' } });
    await node.restart(); // a clean stop first, then the file is broken while the node is down
    writeFileSync(settingsFile, content);
    const before = readdirSync(node.dataDir).filter((f) => f.startsWith('settings.json.corrupt-')).length;
    await node.restart();
    const aside = readdirSync(node.dataDir).filter((f) => f.startsWith('settings.json.corrupt-'));
    assert.equal(aside.length, before + 1, `${kind}: the broken file was moved aside, not deleted`);
    const settings = await node.call<{ sync: { mode: string; hubUrl: string | null } }>('settings.get', {});
    assert.equal(settings.sync.mode, 'periodic', `${kind}: defaults`);
    assert.equal(settings.sync.hubUrl, hub.url, `${kind}: the hub given on the command line is back`);
    await ownWritesIntact(node, `${kind}: data intact`);
    fault(kind);
  }
  // and it syncs again
  acked(node, await node.call<Agent>('agents.create', { id: 'after-settings', name: 'x', type: 'llm' }));
  await waitFor(async () => {
    await node.call('sync.now').catch(() => undefined);
    return (await readHubLog(hub.url, observerToken)).records.has(recordKey('agents', 'after-settings'));
  }, 60_000, 'a sync after the settings were reset');
  await waitFor(async () => (await node.call<SyncStatus>('sync.status')).pending === 0, 60_000, 'the node to push everything');
  await nothingLost(SETTINGS, node);
});
