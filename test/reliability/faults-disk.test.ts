/**
 * A full disk under the edge database, and a corrupt settings file.
 *
 * Disk full: the node's edge.db lives on a small tmpfs (a symlink from the data folder; SQLite follows it and
 * keeps its WAL next to the real file), which is then filled up. Local writes must fail with `storage_full`
 * (HTTP 507) and a message a person can act on, nothing already acknowledged may be lost, and once space is
 * back the node writes and syncs again. Where no tmpfs can be mounted (not root, no CAP_SYS_ADMIN), the same
 * checks run against an in-process node whose database may not grow (`PRAGMA max_page_count`), which gives
 * SQLite the same SQLITE_FULL.
 *
 * Corrupt settings: garbage and schema-invalid settings.json are moved aside, the node starts on defaults
 * (the CLI's --hub restores the hub), and the data is intact.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNodeProcess } from '../support/processes';
import { startHeadlessNode, type HeadlessNode } from '../../main/headless';
import { enrollNode } from '../../server/test-support/hub-client';
import { waitFor } from '../sync/support';
import type { Agent } from '../../shared/domain/records';
import type { SyncStatus } from '../../shared/domain/sync-status';
import { startClusterHub, type ClusterHub } from './cluster';
import { readHubLog } from './checker';
import { recordFigures } from './figures';

let hub: ClusterHub;
let observerToken: string;
const started = Date.now();
const faults: Record<string, number> = {};
const fault = (kind: string) => (faults[kind] = (faults[kind] ?? 0) + 1);
const acked = new Map<string, Agent>();
let lost = 0;
const cleanups: Array<() => unknown> = [];

before(async () => {
  hub = await startClusterHub();
  observerToken = (await enrollNode(hub.url, hub.adminToken, 'observer', 'observer')).token;
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await hub?.kill();
  if (hub) rmSync(hub.dataDir, { recursive: true, force: true });
  recordFigures('faults-disk', { title: 'faults: full disk, corrupt settings', faults, writesAcknowledged: acked.size, writesLost: lost, duplicates: 0, durationMs: Date.now() - started });
});

/** What the test needs from a node, whichever way it runs. */
interface NodeHandle {
  call<T>(method: string, input?: unknown): Promise<T>;
  fill(): void;
  free(): void;
  restart(): Promise<void>;
  dataDir: string;
  hubToken: string;
}

function tryMountTmpfs(dir: string, size: string): boolean {
  if (process.env.OUTPOST_NO_TMPFS || process.getuid?.() !== 0 || process.platform !== 'linux') return false;
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
  return r.status === 0;
}

/** Writes a filler file until the filesystem is full. */
function fillUp(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

async function openNode(name: string): Promise<NodeHandle & { kind: string }> {
  const enrolled = await enrollNode(hub.url, hub.adminToken, name, name);
  const dataDir = mkdtempSync(join(tmpdir(), `outpost-rel-${name}-`));
  const mount = mkdtempSync(join(tmpdir(), `outpost-rel-tmpfs-`));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  if (tryMountTmpfs(mount, '6m')) {
    cleanups.push(() => {
      spawnSync('umount', ['-l', mount]);
      rmSync(mount, { recursive: true, force: true });
    });
    symlinkSync(join(mount, 'edge.db'), join(dataDir, 'edge.db'));
    const filler = join(mount, 'filler');
    let proc = await startNodeProcess({ name, dataDir, hub: { url: hub.url, token: enrolled.token } });
    cleanups.push(() => proc.stop('SIGKILL'));
    return {
      kind: 'tmpfs',
      dataDir,
      hubToken: enrolled.token,
      call: (m, i) => proc.call(m, i),
      fill: () => fillUp(filler),
      free: () => unlinkSync(filler),
      async restart() {
        await proc.stop('SIGTERM');
        proc = await startNodeProcess({ name, dataDir, hub: { url: hub.url, token: enrolled.token } });
      },
    };
  }
  rmSync(mount, { recursive: true, force: true });
  let node: HeadlessNode = await startHeadlessNode({ dataDir, port: 0, name, hub: { url: hub.url, token: enrolled.token }, background: false });
  cleanups.push(() => node.close());
  const token = () => new URL(node.dashboardUrl).searchParams.get('token')!;
  return {
    kind: 'max_page_count',
    dataDir,
    hubToken: enrolled.token,
    async call<T>(method: string, input: unknown = {}) {
      const res = await fetch(`${node.url}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token()}` }, body: JSON.stringify(input) });
      const body = (await res.json()) as T & { error?: { code: string; message: string } };
      if (!res.ok) throw Object.assign(new Error(`${method}: ${res.status} ${body.error?.code}: ${body.error?.message}`), { status: res.status, code: body.error?.code });
      return body;
    },
    fill() {
      const db = node.node.store.unsafeDatabase();
      db.pragma(`max_page_count = ${(db.pragma('page_count', { simple: true }) as number) + 1}`);
    },
    free: () => void node.node.store.unsafeDatabase().pragma('max_page_count = 1073741823'),
    async restart() {
      await node.close();
      node = await startHeadlessNode({ dataDir, port: 0, name, hub: { url: hub.url, token: enrolled.token }, background: false });
    },
  };
}

let node: NodeHandle & { kind: string };

test('a full disk under the edge database: 507 storage_full with a clear message, nothing lost, recovery', { timeout: 120_000 }, async (t) => {
  node = await openNode('disky');
  t.diagnostic(`disk full by: ${node.kind}`);
  await node.call('settings.set', { sync: { mode: 'manual' } });
  for (let i = 0; i < 20; i++) {
    const a = await node.call<Agent>('agents.create', { id: `before-${i}`, name: `before ${i}`, type: 'llm', config: { i } });
    acked.set(a.id, a);
  }
  node.fill();
  fault(`disk full (${node.kind})`);
  let refused: (Error & { status?: number; code?: string }) | null = null;
  for (let i = 0; i < 400 && !refused; i++) {
    try {
      const a = await node.call<Agent>('agents.create', { id: `during-${i}`, name: `during ${i}`, type: 'llm', config: { pad: 'z'.repeat(8000) } });
      acked.set(a.id, a); // it still fit (free pages in the file): acknowledged, so it must survive
    } catch (error) {
      refused = error as Error & { status?: number; code?: string };
    }
  }
  assert.ok(refused, 'a write was refused once the disk was full');
  assert.equal(refused.status, 507, refused.message);
  assert.equal(refused.code, 'storage_full');
  assert.match(refused.message, /disk is full|free some space/i);
  // reads still work, and nothing acknowledged is gone
  const listed = await node.call<{ total: number }>('agents.list', { limit: 1 });
  assert.equal(listed.total, acked.size);
  assert.equal((await node.call<{ nodeId: string }>('app.info', {})).nodeId, 'disky');

  node.free();
  const after = await node.call<Agent>('agents.create', { id: 'after-1', name: 'after', type: 'llm', config: { pad: 'z'.repeat(8000) } });
  acked.set(after.id, after);
  await waitFor(async () => {
    await node.call('sync.now').catch(() => undefined);
    return (await node.call<SyncStatus>('sync.status')).pending === 0;
  }, 60_000, 'the node to push everything once space is back');
  const log = await readHubLog(hub.url, observerToken);
  const missing = [...acked.keys()].filter((id) => !log.records.has(id));
  lost = missing.length;
  assert.deepEqual(missing, []);
  assert.deepEqual(log.duplicateChangeIds, []);
});

test('a corrupt settings file is moved aside; the node starts on defaults with its data intact', { timeout: 120_000 }, async () => {
  const settingsFile = join(node.dataDir, 'settings.json');
  for (const [kind, content] of [
    ['settings: not JSON', '{"sync": {"mode": "auto", '],
    ['settings: invalid values', JSON.stringify({ sync: { mode: 'warp', batchSize: -4 }, unknown: { x: 1 } })],
    ['settings: binary garbage', Buffer.from([0, 255, 254, 1, 2, 3]).toString('latin1')],
  ] as const) {
    await node.call('settings.set', { sync: { mode: 'auto' }, node: { name: 'custom-name' } });
    await node.restart(); // a clean stop first, then the file is broken while the node is down
    writeFileSync(settingsFile, content);
    fault(kind);
    const before = readdirSync(node.dataDir).filter((f) => f.startsWith('settings.json.corrupt-')).length;
    await node.restart();
    const aside = readdirSync(node.dataDir).filter((f) => f.startsWith('settings.json.corrupt-'));
    assert.equal(aside.length, before + 1, `${kind}: the broken file was moved aside, not deleted`);
    const settings = await node.call<{ sync: { mode: string; hubUrl: string | null } }>('settings.get', {});
    assert.equal(settings.sync.mode, 'periodic', `${kind}: defaults`);
    assert.equal(settings.sync.hubUrl, hub.url, `${kind}: the hub given on the command line is back`);
    assert.equal((await node.call<{ total: number }>('agents.list', { limit: 1 })).total, acked.size, `${kind}: data intact`);
  }
  // and it syncs again
  const a = await node.call<Agent>('agents.create', { id: 'after-settings', name: 'x', type: 'llm' });
  acked.set(a.id, a);
  await waitFor(async () => {
    await node.call('sync.now').catch(() => undefined);
    return (await readHubLog(hub.url, observerToken)).records.has('after-settings');
  }, 60_000, 'a sync after the settings were reset');
});
