/**
 * Conflict resolution throughput.
 *  1. Three-way merges per second of records with 20 fields and a nested config (the `merge` and `rules`
 *     strategies, plus suggestions), against a baseline measured in the same run: a JSON deep-equal of the
 *     three versions plus a structuredClone of one (the least any merge must do).
 *  2. The time for a node to take in 10,000 remote changes of which 10% conflict: the edge store applies the
 *     pulled batch (fast-forwards and conflict records) and the automatic resolver resolves the conflicts.
 *     Baseline: the same 10,000 changes with no conflicts.
 */
import { encodeHlc } from '../shared/sync/hlc';
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

