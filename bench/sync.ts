/**
 * Sync throughput: two nodes through one hub over loopback, all durable (SQLite WAL on the nodes, the hub as
 * its own process on PGlite), 100,000 agent records. A full sync, then a round where 10% of the records change
 * one field. Figures are set against a bound measured in the same run: one process doing only JSON encoding,
 * gzip, gunzip, parsing and the better-sqlite3 upsert of the same records.
 *
 *   node --import tsx bench/sync.ts [records] [--postgres]   (--postgres: the hub on a throwaway PostgreSQL cluster)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { freePort, startHubProcess } from '../test/sync/support';
import { startTestNode, type TestNode } from '../test/sync/harness';
import type { RemoteChange } from '../main/store/types';
import { startTestPostgres } from '../server/test-support/postgres';

const args = process.argv.slice(2);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
const ON_POSTGRES = args.includes('--postgres');
const CHANGED = Math.round(N / 10);
const BATCH = 5000;

function agent(i: number) {
  return {
    id: `agent-${String(i).padStart(7, '0')}`,
    name: `Agent ${i}`,
    type: i % 3 === 0 ? 'planner' : 'worker',
    status: 'inactive' as const,
    config: { model: 'model-small', temperature: 0.2, maxTokens: 2048, tools: ['search', 'fetch', 'summarize'], prompt: `You are agent ${i}; keep answers short and cite sources.` },
  };
}

/** The bound: encode, gzip, gunzip, parse and upsert the same records in one process, batch by batch. */
function baseline(records: object[], dir: string): number {
  const db = new Database(join(dir, `bound-${records.length}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS agents (id TEXT PRIMARY KEY, name TEXT, type TEXT, status TEXT, config TEXT)');
  const upsert = db.prepare(
    'INSERT INTO agents (id, name, type, status, config) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, type = excluded.type, status = excluded.status, config = excluded.config',
  );
  const apply = db.transaction((rows: Array<ReturnType<typeof agent>>) => {
    for (const r of rows) upsert.run(r.id, r.name, r.type, r.status, JSON.stringify(r.config));
  });
  const started = performance.now();
  for (let i = 0; i < records.length; i += BATCH) {
    const wire = gzipSync(Buffer.from(JSON.stringify(records.slice(i, i + BATCH))));
    const rows = JSON.parse(gunzipSync(wire).toString('utf8')) as Array<ReturnType<typeof agent>>;
    apply(rows);
  }
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return records.length / seconds;
}

/** Times every applyRemoteChanges call on a node (the pull's apply step, in main). */
function instrumentApply(node: TestNode): { ms: number; records: number } {
  const totals = { ms: 0, records: 0 };
  const original = node.store.applyRemoteChanges.bind(node.store);
  node.store.applyRemoteChanges = (changes: RemoteChange[], cursor?: number) => {
    const started = performance.now();
    try {
      return original(changes, cursor);
    } finally {
      totals.ms += performance.now() - started;
      totals.records += changes.length;
    }
  };
  return totals;
}

/** Times the edge store's lease and ack on the pushing node (main's share of a push). */
function instrumentPush(node: TestNode): { leaseMs: number; ackMs: number } {
  const totals = { leaseMs: 0, ackMs: 0 };
  const lease = node.store.leaseBatch.bind(node.store);
  const ack = node.store.ackChanges.bind(node.store);
  node.store.leaseBatch = (options) => {
    const started = performance.now();
    try {
      return lease(options);
    } finally {
      totals.leaseMs += performance.now() - started;
    }
  };
  node.store.ackChanges = (acks) => {
    const started = performance.now();
    try {
      return ack(acks);
    } finally {
      totals.ackMs += performance.now() - started;
    }
  };
  return totals;
}

/** CPU seconds a process has used so far (Linux /proc; null elsewhere). */
function cpuSecondsOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  if (pid === process.pid) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
  try {
    // fields after the command name (which may hold spaces): utime and stime are the 12th and 13th
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** CPU per record of each process during one phase: where the time goes, process by process. */
async function cpuDuring<T>(pids: Record<string, number | undefined>, records: () => number, run: () => Promise<T>): Promise<{ result: T; line: string }> {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSecondsOf(pid)]));
  const result = await run();
  const parts = Object.entries(pids).map(([k, pid]) => {
    const a = before[k] ?? null;
    const b = cpuSecondsOf(pid);
    return a === null || b === null ? `${k} n/a` : `${k} ${(((b - a) * 1e6) / records()).toFixed(1)}`;
  });
  return { result, line: `CPU µs/record: ${parts.join(', ')}` };
}

/**
 * Bytes of the same full records compressed as the wire compresses them, batch by batch: the node gzips push
 * bodies at level 6 (worker/hub-client), the hub answers a node (which accepts br) with brotli quality 1
 * (server/app). Against plain JSON alone, a delta would get credit for compression as well.
 */
function compressedBytes(records: unknown[]): { gzip6: number; brotli1: number } {
  const out = { gzip6: 0, brotli1: 0 };
  const brotli = { params: { [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT, [zlibConstants.BROTLI_PARAM_QUALITY]: 1 } };
  for (let i = 0; i < records.length; i += BATCH) {
    const json = Buffer.from(JSON.stringify(records.slice(i, i + BATCH)));
    out.gzip6 += gzipSync(json, { level: 6 }).length;
    out.brotli1 += brotliCompressSync(json, brotli).length;
  }
  return out;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-bench-sync-'));
  const hubDir = join(dir, 'hub');
  const pg = ON_POSTGRES ? await startTestPostgres() : null;
  const hub = await startHubProcess({ dataDir: hubDir, port: await freePort(), ...(pg ? { databaseUrl: await pg.createDatabase('bench') } : {}) });
  const settings = { sync: { batchSize: BATCH } };
  const a = await startTestNode({ nodeId: 'bench-a', hub: { url: hub.url, token: (await hub.enroll('a', 'bench-a')).token }, dataDir: mkdtempSync(join(dir, 'a-')), settings });
  const b = await startTestNode({ nodeId: 'bench-b', hub: { url: hub.url, token: (await hub.enroll('b', 'bench-b')).token }, dataDir: mkdtempSync(join(dir, 'b-')), settings });
  try {
    const records = Array.from({ length: N }, (_, i) => agent(i));
    a.store.batch(() => {
      for (const r of records) a.store.createAgent(r);
    });

    // ---- full sync ----
    const boundFull = baseline(records, dir);
    const applyB = instrumentApply(b);
    const pushA = instrumentPush(a);
    const pids = { 'main (both nodes)': process.pid, 'worker A': a.host.workerPid, 'worker B': b.host.workerPid, hub: hub.child.pid };
    const { result: push, line: pushCpu } = await cpuDuring(pids, () => N, () => a.host.syncNow());
    const { result: pull, line: pullCpu } = await cpuDuring(pids, () => N, () => b.host.syncNow());
    if (push.pushed !== N || pull.pulled !== N) throw new Error(`full sync moved ${push.pushed}/${pull.pulled} of ${N}`);
    const fullPushRate = N / (push.durationMs / 1000);
    const fullPullRate = N / (pull.durationMs / 1000);
    const fullE2e = N / ((push.durationMs + pull.durationMs) / 1000);
    const fullApplyRate = applyB.records / (applyB.ms / 1000);

    // ---- 10% of the records change one field ----
    const changed = records.filter((_, i) => i % 10 === 0);
    a.store.batch(() => {
      for (const r of changed) a.store.updateAgent({ id: r.id, patch: { status: 'active' }, expectedVersion: 1 });
    });
    const changedFull = changed.map((r) => ({ ...r, status: 'active' }));
    const fullRecords = changedFull.map((r) => a.store.getAgent(r.id));
    const plainJsonBytes = Buffer.byteLength(JSON.stringify(fullRecords));
    const packedFull = compressedBytes(fullRecords);
    const boundRound = baseline(changedFull, dir);
    applyB.ms = 0;
    applyB.records = 0;
    const { result: push2, line: push2Cpu } = await cpuDuring(pids, () => CHANGED, () => a.host.syncNow());
    const { result: pull2, line: pull2Cpu } = await cpuDuring(pids, () => CHANGED, () => b.host.syncNow());
    if (push2.pushed !== CHANGED || pull2.pulled !== CHANGED) throw new Error(`10% round moved ${push2.pushed}/${pull2.pulled} of ${CHANGED}`);
    if (b.store.getAgent(changed[0]!.id).status !== 'active') throw new Error('the change did not arrive');
    const roundPushRate = CHANGED / (push2.durationMs / 1000);
    const roundPullRate = CHANGED / (pull2.durationMs / 1000);
    const roundE2e = CHANGED / ((push2.durationMs + pull2.durationMs) / 1000);
    const roundApplyRate = applyB.records / (applyB.ms / 1000);

    console.log(`sync bench: ${fmt(N)} agent records, two nodes through one hub (own process, ${ON_POSTGRES ? 'PostgreSQL 15' : 'PGlite'}) over loopback, batches of ${BATCH}`);
    console.log(`bound (JSON encode + gzip + gunzip + parse + better-sqlite3 upsert, one process): full ${fmt(boundFull)} rec/s, 10% round ${fmt(boundRound)} rec/s`);
    console.log('');
    console.log(`full sync      push A->hub ${fmt(fullPushRate)} rec/s   pull hub->B ${fmt(fullPullRate)} rec/s   end to end ${fmt(fullE2e)} rec/s = ${ratio(fullE2e, boundFull)} of the bound  (target >= 50,000)`);
    console.log(`               B applies pulled changes at ${fmt(fullApplyRate)} rec/s = ${ratio(fullApplyRate, boundFull)} of the bound  (target >= 100,000)`);
    console.log(
      `               where the push time goes: A's store lease ${(pushA.leaseMs / (N / 1000)).toFixed(1)} ms + ack ${(pushA.ackMs / (N / 1000)).toFixed(1)} ms per 1,000 records ` +
        `(${Math.round(((pushA.leaseMs + pushA.ackMs) / push.durationMs) * 100)}% of the push, overlapped with the hub); the rest is the hub and the worker`,
    );
    console.log(`               push ${pushCpu}`);
    console.log(`               pull ${pullCpu}`);
    console.log(`               wire ${fmt(push.bytesWire)} B up (raw ${fmt(push.bytesRaw)}), ${fmt(pull.bytesWire)} B down (raw ${fmt(pull.bytesRaw)})`);
    console.log(`10% round      push ${fmt(roundPushRate)} rec/s   pull ${fmt(roundPullRate)} rec/s   end to end ${fmt(roundE2e)} rec/s = ${ratio(roundE2e, boundRound)} of the bound  (target >= 40,000)`);
    console.log(`               B applies at ${fmt(roundApplyRate)} rec/s`);
    console.log(`               push ${push2Cpu}`);
    console.log(`               pull ${pull2Cpu}`);
    const pct = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)}%`;
    console.log(
      `               wire up ${fmt(push2.bytesWire)} B = ${pct(push2.bytesWire, plainJsonBytes)} of plain full-record JSON (${fmt(plainJsonBytes)} B), ` +
        `down ${fmt(pull2.bytesWire)} B = ${pct(pull2.bytesWire, plainJsonBytes)}  (target <= 10%)`,
    );
    console.log(
      `               against the same full records compressed as the wire does: up ${pct(push2.bytesWire, packedFull.gzip6)} of gzip level 6 (${fmt(packedFull.gzip6)} B), ` +
        `down ${pct(pull2.bytesWire, packedFull.brotli1)} of brotli quality 1 (${fmt(packedFull.brotli1)} B)`,
    );
  } finally {
    await a.destroy();
    await b.destroy();
    await hub.kill('SIGTERM');
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
