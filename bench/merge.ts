/**
 * Conflict resolution throughput.
 *  1. Three-way merges per second of records with 20 fields and a nested config (the `merge` and `rules`
 *     strategies, plus suggestions), against a baseline measured in the same run: a JSON deep-equal of the
 *     three versions plus a structuredClone of one (the least any merge must do).
 *  2. The time for a node to take in 10,000 remote changes of which 10% conflict: the edge store applies the
 *     pulled batch (fast-forwards and conflict records) and the automatic resolver resolves the conflicts.
 *     Baseline: the same 10,000 changes with no conflicts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeHlc, HybridClock } from '../shared/sync/hlc';
import { defaultSettings } from '../shared/domain/settings';
import { EdgeStore, type RemoteChange } from '../main/store/index';
import { EventBus } from '../main/events';
import { createLogger } from '../lib/log';
import { AutoResolver } from '../main/conflicts/auto-resolver';
import { ConflictService } from '../main/conflicts/service';
import { jsonEqual, resolveConflict, suggestionsFor, type ConflictInput, type JsonRecord, type TableMergeSettings } from '../shared/merge/index';

function makeRecord(i: number, variant: number): JsonRecord {
  const out: JsonRecord = {
    name: `agent-${i}`,
    type: 'llm',
    status: variant === 1 ? 'active' : 'inactive',
    config: {
      model: variant === 2 ? 'large' : 'small',
      temperature: 0.2 + (variant === 1 ? 0.1 : 0),
      tools: ['search', 'code', ...(variant === 1 ? ['browse'] : []), ...(variant === 2 ? ['shell'] : [])],
      limits: { tokens: 4096, rpm: 60 + variant, nested: { deep: { value: i, tag: `t${variant === 2 ? 9 : 0}` } } },
      prompt: `You are agent ${i}.\nBe brief.\n${variant === 1 ? 'Prefer local tools.\n' : ''}Answer in English.\n${variant === 2 ? 'Cite sources.\n' : ''}`,
    },
  };
  for (let f = 0; f < 16; f++) out[`field${f}`] = f === 3 && variant === 1 ? `local-${i}` : f === 7 && variant === 2 ? 100 + i : `value-${f}-${i}`;
  return out;
}

const hlcA = encodeHlc({ wallMs: 1_700_000_000_000, counter: 0, nodeId: 'nodeA' });
const hlcB = encodeHlc({ wallMs: 1_700_000_001_000, counter: 0, nodeId: 'nodeB' });
const N = 2_000;
const inputs: ConflictInput[] = Array.from({ length: N }, (_, i) => ({
  table: 'agents',
  recordId: `a${i}`,
  type: 'update-update',
  base: makeRecord(i, 0),
  local: { data: makeRecord(i, 1), hlc: hlcA },
  remote: { data: makeRecord(i, 2), hlc: hlcB },
}));

function perSecond(label: string, rounds: number, fn: (input: ConflictInput) => unknown): number {
  for (let i = 0; i < 200; i++) fn(inputs[i % N]!); // warm up
  const start = performance.now();
  for (let r = 0; r < rounds; r++) for (const input of inputs) fn(input);
  const ms = performance.now() - start;
  const rate = (rounds * N * 1000) / ms;
  console.log(`  ${label.padEnd(46)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} /s`);
  return rate;
}

const settings = (strategy: TableMergeSettings['strategy']): TableMergeSettings => ({ strategy, rules: [], threshold: 0.8, deleteUpdatePolicy: 'manual' });

console.log(`three-way merges of ${N} records (20 fields, nested config), 3 rounds each`);
const baseline = perSecond('baseline: deep-equal x3 + structuredClone', 3, (c) => {
  jsonEqual(c.base, c.local.data);
  jsonEqual(c.base, c.remote.data);
  jsonEqual(c.local.data, c.remote.data);
  return structuredClone(c.local.data);
});
const merge = perSecond('merge strategy', 3, (c) => resolveConflict(c, settings('merge')));
const rules = perSecond('rules strategy (agent defaults)', 3, (c) => resolveConflict(c, settings('rules')));
const lww = perSecond('lww strategy', 3, (c) => resolveConflict(c, settings('lww')));
const suggest = perSecond('suggestions (local, remote, smart merge)', 3, (c) => suggestionsFor(c));
console.log(
  `  ratio to baseline: merge ${(merge / baseline).toFixed(2)}, rules ${(rules / baseline).toFixed(2)}, lww ${(lww / baseline).toFixed(2)}, suggestions ${(suggest / baseline).toFixed(2)}`,
);


// ---- 2. a node takes in 10,000 remote changes, 10% of them conflicting -----------------------------------

const RECORDS = 10_000;
const CONFLICTING = 1_000;
const PULL_BATCH = 500;

function remoteAgent(i: number, round: number): { data: JsonRecord; vv: Record<string, number>; hlc: string } {
  return {
    data: {
      name: `agent-${i}${round ? ` r${round}` : ''}`,
      type: 'llm',
      status: 'inactive',
      config: { model: round ? 'large' : 'small', tools: ['search'], limits: { tokens: 4096, nested: { i } } },
      createdAt: '2026-01-01T00:00:00.000Z',
    },
    vv: { 'node-a': round + 1 },
    hlc: encodeHlc({ wallMs: 1_700_000_000_000 + round * 60_000, counter: i % 1000, nodeId: 'node-a' }),
  };
}

/** A node holding 10,000 synced agents, `localEdits` of which it changed since (pending, not yet pushed). */
function prepareNode(localEdits: number) {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-bench-merge-'));
  const settings = defaultSettings();
  const log = createLogger({ quiet: true });
  const store = new EdgeStore({ path: join(dir, 'edge.db'), nodeId: 'node-b', clock: new HybridClock('node-b'), settings: () => settings, log });
  const seed: RemoteChange[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const r = remoteAgent(i, 0);
    seed.push({ table: 'agents', recordId: `a${i}`, op: 'upsert', data: r.data, vv: r.vv, hlc: r.hlc, nodeId: 'node-a', seq: i + 1 });
  }
  for (let i = 0; i < seed.length; i += 1000) store.applyRemoteChanges(seed.slice(i, i + 1000), Math.min(i + 1000, RECORDS));
  store.batch(() => {
    for (let i = 0; i < localEdits; i++) {
      const id = `a${i * (RECORDS / Math.max(localEdits, 1))}`;
      const current = store.getAgent(id);
      store.updateAgent({ id, expectedVersion: current.version, patch: { status: 'active', config: { ...current.config, temperature: 0.7 } } });
    }
  });
  const service = new ConflictService({ records: store, events: new EventBus(), log, personName: () => 'bench' });
  const resolver = new AutoResolver({ store, settings: () => settings, log });
  return { store, service, resolver, cleanup: () => (store.close(), rmSync(dir, { recursive: true, force: true })) };
}

async function intake(localEdits: number): Promise<{ ms: number; conflicts: number; resolved: number }> {
  const node = prepareNode(localEdits);
  const changes: RemoteChange[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const r = remoteAgent(i, 1);
    changes.push({ table: 'agents', recordId: `a${i}`, op: 'upsert', data: r.data, vv: r.vv, hlc: r.hlc, nodeId: 'node-a', seq: RECORDS + i + 1 });
  }
  const start = performance.now();
  let conflicts = 0;
  let resolved = 0;
  for (let i = 0; i < changes.length; i += PULL_BATCH) {
    const result = node.store.applyRemoteChanges(changes.slice(i, i + PULL_BATCH), RECORDS + Math.min(i + PULL_BATCH, RECORDS));
    conflicts += result.conflictIds.length;
    if (result.conflictIds.length) resolved += (await node.resolver.onConflictsRecorded(result.conflictIds)).resolved;
  }
  const ms = performance.now() - start;
  node.cleanup();
  return { ms, conflicts, resolved };
}

console.log(`\na node takes in ${RECORDS.toLocaleString('en-US')} remote changes in pulls of ${PULL_BATCH} (store apply + automatic resolution, lww)`);
const clean = await intake(0);
const mixed = await intake(CONFLICTING);
console.log(`  baseline: no conflicts                          ${Math.round(clean.ms).toLocaleString('en-US').padStart(7)} ms  (${Math.round((RECORDS * 1000) / clean.ms).toLocaleString('en-US')} changes/s)`);
console.log(
  `  10% conflicting (${mixed.conflicts} recorded, ${mixed.resolved} auto-resolved) ${Math.round(mixed.ms).toLocaleString('en-US').padStart(7)} ms  (${Math.round((RECORDS * 1000) / mixed.ms).toLocaleString('en-US')} changes/s)`,
);
console.log(`  ratio to baseline: ${(mixed.ms / clean.ms).toFixed(2)}x the time`);
if (mixed.conflicts !== CONFLICTING || mixed.resolved !== CONFLICTING) {
  console.error(`expected ${CONFLICTING} conflicts, all resolved automatically`);
  process.exitCode = 1;
}
