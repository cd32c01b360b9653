/**
 * The local write path of the edge store, against raw better-sqlite3 in the same process.
 *  1. 100,000 agent updates through EdgeStore.updateAgent (version check, clock, version vector, a new queue
 *     item each: the rows had synced) in ONE transaction (store.batch), against raw upserts of the same rows
 *     and values into an identical table (same schema, indexes and pragmas) with no queue, in one transaction.
 *  2. The same with one transaction per update, on 10,000 updates.
 *  3. For information: 100,000 updates that coalesce into already pending items.
 *  4. applyRemoteChanges: 100,000 pulled agents (inserts), then 100,000 newer states (fast-forwards), then
 *     newer states of every 10th record (scattered fast-forwards, as in a 10% sync round), in pages of 1,000,
 *     against raw upserts of the same rows (no shadow, no validation).
 *  5. Sync-facing: lease + ack of 100,000 queued changes in batches of 1,000 (the sync engine's size), lease and
 *     ack timed apart, against the raw upserts of (1): how many raw row writes one leased + acked change costs.
 * Target: the store keeps >= 0.6 of the raw rate in (1).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { defaultSettings } from '../shared/domain/settings';
import { HybridClock, encodeHlc } from '../shared/sync/hlc';
import { EdgeStore } from '../main/store/index';

const N = 100_000;
const N_SMALL = 10_000;
const PAGE = 1_000;
const dir = mkdtempSync(join(tmpdir(), 'outpost-bench-store-'));
const settings = defaultSettings();
const statuses = ['inactive', 'active', 'running', 'paused'] as const;

const open = (name: string, nodeId = 'bench-node') => new EdgeStore({ path: join(dir, name), nodeId, clock: new HybridClock(nodeId), settings: () => settings });
const agentId = (i: number) => `agent-${String(i).padStart(6, '0')}`;
const config = (i: number, round: number) => ({
  model: i % 3 ? 'small' : 'large',
  temperature: 0.2 + (round % 5) / 10,
  tools: ['search', 'code', ...(i % 2 ? ['shell'] : [])],
  limits: { tokens: 4096, rpm: 60 + (i % 7) },
  prompt: `You are agent ${i}. Round ${round}. Be brief.`,
});
const patchOf = (i: number, round: number) => ({ name: `Agent ${i} r${round}`, status: statuses[(i + round) % statuses.length]!, config: config(i, round) });

function seed(store: EdgeStore, count: number): void {
  store.batch(() => {
    for (let i = 0; i < count; i++) store.createAgent({ id: agentId(i), name: `Agent ${i}`, type: i % 2 ? 'llm' : 'tool', config: config(i, 0) });
  });
  // as if all had synced: setup only, outside the measured part
  store.unsafeDatabase().prepare(`UPDATE sync_queue SET status = 'completed', completed_at = ?`).run(new Date().toISOString());
  store.unsafeDatabase().prepare(`UPDATE agents SET sync_status = 'synced'`).run();
}

/** Raw upsert of the same columns the store writes, on an identical table, no queue. */
const RAW_UPSERT = `INSERT INTO agents (id, name, type, status, config, version, hlc, node_id, vv, sync_status, updated_at)
     VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, 'pending', ?)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = excluded.status, config = excluded.config,
       version = agents.version + 1, hlc = excluded.hlc, node_id = excluded.node_id, vv = excluded.vv,
       sync_status = 'pending', updated_at = excluded.updated_at`;
function rawUpserter(db: Database.Database) {
  const stmt = db.prepare(RAW_UPSERT);
  const clock = new HybridClock('bench-node');
  return (i: number, round: number, type = 'llm') => {
    const p = patchOf(i, round);
    stmt.run(agentId(i), p.name, type, p.status, JSON.stringify(p.config), clock.tick(), 'bench-node', `{"bench-node":${round + 1}}`, new Date().toISOString());
  };
}

/** CPU time of this process, in ms: on a shared, loaded machine it is closer to what an idle one would show. */
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const cpu: Record<string, number> = {};
/** Wall time of fn in ms; its CPU time is added to cpu[label] when a label is given. */
function time(fn: () => void, label?: string): number {
  const c0 = cpuNow();
  const start = performance.now();
  fn();
  const wall = performance.now() - start;
  if (label) cpu[label] = (cpu[label] ?? 0) + cpuNow() - c0;
  return wall;
}

const rate = (count: number, ms: number) => (count * 1000) / ms;
const fmt = (r: number) => `${Math.round(r).toLocaleString('en-US').padStart(9)} /s`;
function line(label: string, r: number, extra = '') {
  console.log(`  ${label.padEnd(58)} ${fmt(r)}${extra}`);
}
const gc = () => (globalThis as { gc?: () => void }).gc?.();

try {
  console.log(`edge store write path (${N.toLocaleString('en-US')} agents, WAL, synchronous=NORMAL)`);

  // ---- 1. one transaction for the whole batch ----
  const store = open('store.db');
  const raw = open('raw.db');
  seed(store, N);
  seed(raw, N);
  const storeDb = store.unsafeDatabase();
  const rawDb = raw.unsafeDatabase();
  const upsert = rawUpserter(rawDb);
  const version = new Map<number, number>();
  const updateOne = (i: number, round: number) => {
    const v = version.get(i) ?? 1;
    store.updateAgent({ id: agentId(i), patch: patchOf(i, round), expectedVersion: v });
    version.set(i, v + 1);
  };
  // warm both paths on a few rows first
  store.batch(() => {
    for (let i = 0; i < 1000; i++) updateOne(i, 1);
  });
  rawDb.transaction(() => {
    for (let i = 0; i < 1000; i++) upsert(i, 1);
  }).immediate();
  storeDb.prepare(`UPDATE sync_queue SET status = 'completed', completed_at = ? WHERE status = 'pending'`).run(new Date().toISOString());

  /**
   * Both sides run in one open transaction each (the store's is store.batch()), and alternate in chunks of
   * 5,000 so a load spike on this shared machine hits both alike; each side's time is its own chunks plus its
   * BEGIN and COMMIT.
   */
  function interleaved(count: number, round: number, perTransaction: boolean): { rawMs: number; storeMs: number } {
    let rawMs = 0;
    let storeMs = 0;
    const chunk = 5000;
    const oneRaw = rawDb.transaction((i: number) => upsert(i, round));
    const chunks = () => {
      for (let from = 0; from < count; from += chunk) {
        gc();
        rawMs += time(() => {
          for (let i = from; i < from + chunk; i++) {
            if (perTransaction) oneRaw.immediate(i);
            else upsert(i, round);
          }
        }, `raw${round}`);
        storeMs += time(() => {
          for (let i = from; i < from + chunk; i++) updateOne(i, round);
        }, `store${round}`);
      }
    };
    if (perTransaction) {
      chunks();
      return { rawMs, storeMs };
    }
    rawDb.exec('BEGIN IMMEDIATE');
    let commitStart = 0;
    const begin = performance.now();
    store.batch(() => {
      storeMs += performance.now() - begin;
      chunks();
      commitStart = performance.now();
    });
    storeMs += performance.now() - commitStart;
    rawMs += time(() => rawDb.exec('COMMIT'));
    return { rawMs, storeMs };
  }

  const batch = interleaved(N, 2, false);
  const queued = store.stats().byStatus.pending;
  if (queued !== N) throw new Error(`expected ${N} pending queue items, found ${queued}`);
  const rawBatch = rate(N, batch.rawMs);
  const storeBatch = rate(N, batch.storeMs);
  console.log('1. one transaction for the whole batch');
  line('raw better-sqlite3 upserts, no queue (baseline)', rawBatch);
  line('EdgeStore.updateAgent, each with a new queue item', storeBatch, `   ratio ${(storeBatch / rawBatch).toFixed(2)} (target >= 0.6)`);
  console.log(`     by CPU time: raw ${fmt(rate(N, cpu.raw2!)).trim()}, store ${fmt(rate(N, cpu.store2!)).trim()}, ratio ${(cpu.raw2! / cpu.store2!).toFixed(2)}`);

  // ---- 3. coalescing into pending items (the items from step 1 are still pending) ----
  const coalesced = interleaved(N, 3, false);
  if (store.stats().byStatus.pending !== N) throw new Error('coalescing created new items');

  // ---- 5. lease + ack of everything queued ----
  gc();
  let leased = 0;
  let leaseMs = 0;
  let ackMs = 0;
  const perThousand: Array<{ pending: number; lease: number; ack: number }> = [];
  for (;;) {
    const pending = N - leased;
    let changes: ReturnType<typeof store.leaseBatch>['changes'] = [];
    const l = time(() => void ({ changes } = store.leaseBatch({ limit: 1000, leaseMs: 60_000 })), 'leaseAck');
    if (changes.length === 0) break;
    const a = time(() => store.ackChanges(changes.map((c, k) => ({ queueId: c.queueId, seq: leased + k + 1, changeId: c.changeId }))), 'leaseAck');
    leaseMs += l;
    ackMs += a;
    if (pending === N || pending === N / 5 || pending === 1000) perThousand.push({ pending, lease: l, ack: a });
    leased += changes.length;
  }
  const leaseAckMs = leaseMs + ackMs;
  if (leased !== N) throw new Error(`leased ${leased}, expected ${N}`);
  // ---- 2. one transaction per update ----
  const single = interleaved(N_SMALL, 4, true);
  const rawSingle = rate(N_SMALL, single.rawMs);
  const storeSingle = rate(N_SMALL, single.storeMs);
  console.log(`2. one transaction per update (${N_SMALL.toLocaleString('en-US')} updates)`);
  line('raw better-sqlite3 upsert per transaction (baseline)', rawSingle);
  line('EdgeStore.updateAgent per transaction', storeSingle, `   ratio ${(storeSingle / rawSingle).toFixed(2)}`);
  console.log('3. updates coalescing into pending items, one transaction');
  line('raw better-sqlite3 upserts (baseline)', rate(N, coalesced.rawMs));
  line('EdgeStore.updateAgent, coalesced', rate(N, coalesced.storeMs), `   ratio ${(coalesced.rawMs / coalesced.storeMs).toFixed(2)}`);

  store.close();
  raw.close();

  // ---- 4. applyRemoteChanges ----
  const remote = open('remote.db', 'puller');
  const rawRemote = open('raw-remote.db', 'puller');
  const hlcBase = Date.now();
  const change = (i: number, round: number) => {
    const p = patchOf(i, round);
    return {
      table: 'agents' as const,
      recordId: agentId(i),
      op: 'upsert' as const,
      data: { name: p.name, type: 'llm', status: p.status, config: p.config, createdAt: '2026-01-01T00:00:00.000Z' },
      vv: { 'other-node': round + 1 },
      hlc: encodeHlc({ wallMs: hlcBase + round, counter: i, nodeId: 'other-node' }),
      nodeId: 'other-node',
      seq: round * N + i + 1,
    };
  };
  const pages = (round: number) => {
    const out: Array<ReturnType<typeof change>[]> = [];
    for (let s = 0; s < N; s += PAGE) out.push(Array.from({ length: PAGE }, (_, k) => change(s + k, round)));
    return out;
  };
  const insertPages = pages(0);
  const ffPages = pages(1);
  const tenth = Array.from({ length: N / 10 }, (_, k) => k * 10);
  const scatteredPages: Array<ReturnType<typeof change>[]> = [];
  for (let s = 0; s < tenth.length; s += PAGE) scatteredPages.push(tenth.slice(s, s + PAGE).map((i) => change(i, 2)));
  // The raw side writes the very change objects the store is handed, built before the clock starts like the
  // store's pages: both sides only turn records into rows while timed.
  const rawStmt = rawRemote.unsafeDatabase().prepare(RAW_UPSERT);
  const rawTx = rawRemote.unsafeDatabase().transaction((page: ReturnType<typeof change>[]) => {
    for (const c of page) rawStmt.run(c.recordId, c.data.name, c.data.type, c.data.status, JSON.stringify(c.data.config), c.hlc, c.nodeId, JSON.stringify(c.vv), new Date().toISOString());
  });
  // raw and store alternate page by page, so load swings on this shared machine hit both alike
  let applied = 0;
  const phase = (round: number, pagesOf: typeof insertPages, label: string) => {
    let rawMs = 0;
    let storeMs = 0;
    gc();
    for (const [p, batch] of pagesOf.entries()) {
      rawMs += time(() => rawTx.immediate(batch), `raw-${label}`);
      storeMs += time(() => {
        applied += remote.applyRemoteChanges(batch, round * N + (p + 1) * PAGE).applied;
      }, label);
    }
    return { rawMs, storeMs };
  };
  const inserts = phase(0, insertPages, 'insert');
  const forwards = phase(1, ffPages, 'ff');
  const scattered = phase(2, scatteredPages, 'tenth');
  if (applied !== 2 * N + tenth.length) throw new Error(`applied ${applied}, expected ${2 * N + tenth.length}`);
  const us = (ms: number, count: number) => `${((ms * 1000) / count).toFixed(1)} µs/record`;
  console.log(`4. applyRemoteChanges, pages of ${PAGE.toLocaleString('en-US')} (validation, clock, vv compare, row + shadow, cursor)`);
  line('raw better-sqlite3 upserts of new rows (baseline)', rate(N, inserts.rawMs), `   ${us(inserts.rawMs, N)}`);
  line('new records (insert + shadow)', rate(N, inserts.storeMs), `   ${us(inserts.storeMs, N)}, ratio ${(inserts.rawMs / inserts.storeMs).toFixed(2)} (target >= 100k/s)`);
  line('raw better-sqlite3 upserts of existing rows (baseline)', rate(N, forwards.rawMs), `   ${us(forwards.rawMs, N)}`);
  line('newer states (fast-forward + shadow)', rate(N, forwards.storeMs), `   ${us(forwards.storeMs, N)}, ratio ${(forwards.rawMs / forwards.storeMs).toFixed(2)}`);
  line('raw better-sqlite3 upserts of every 10th row (baseline)', rate(tenth.length, scattered.rawMs), `   ${us(scattered.rawMs, tenth.length)}`);
  line('newer states of every 10th record (scattered rows)', rate(tenth.length, scattered.storeMs), `   ${us(scattered.storeMs, tenth.length)}, ratio ${(scattered.rawMs / scattered.storeMs).toFixed(2)}`);
  console.log(
    `     by CPU time: new ${fmt(rate(N, cpu.insert!)).trim()} (raw ${fmt(rate(N, cpu['raw-insert']!)).trim()}), newer ${fmt(rate(N, cpu.ff!)).trim()} (raw ${fmt(rate(N, cpu['raw-ff']!)).trim()}), ` +
      `every 10th ${fmt(rate(tenth.length, cpu.tenth!)).trim()} (raw ${fmt(rate(tenth.length, cpu['raw-tenth']!)).trim()})`,
  );
  console.log('5. sync-facing');
  line(`leaseBatch(1000) + ackChanges of ${N.toLocaleString('en-US')} queued changes`, rate(leased, leaseAckMs), `   ratio ${(rate(leased, leaseAckMs) / rawBatch).toFixed(2)} of raw (1)`);
  console.log(
    `     by CPU time ${fmt(rate(leased, cpu.leaseAck!)).trim()}, ratio ${(rate(leased, cpu.leaseAck!) / rate(N, cpu.raw2!)).toFixed(2)} of raw (1); lease ${(leaseMs / (leased / 1000)).toFixed(1)} ms + ack ${(ackMs / (leased / 1000)).toFixed(1)} ms per 1,000 on average`,
  );
  for (const p of perThousand) console.log(`     with ${p.pending.toLocaleString('en-US').padStart(7)} pending: lease ${p.lease.toFixed(1)} ms, ack ${p.ack.toFixed(1)} ms per 1,000`);
  remote.close();
  rawRemote.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
